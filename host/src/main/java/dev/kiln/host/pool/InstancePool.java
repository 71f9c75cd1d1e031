package dev.kiln.host.pool;

import dev.kiln.host.core.BackgroundLoops;
import dev.kiln.host.core.FaultPoint;
import dev.kiln.host.observability.Metrics;
import dev.kiln.host.sandbox.CompiledModule;
import dev.kiln.host.sandbox.GuestInstance;
import dev.kiln.host.sandbox.InitialState;
import dev.kiln.host.sandbox.ModuleCompiler;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands out guest instances: compiles each version's code at most once, and keeps a pool of ready
 * instances per function (docs/adr/0009-instance-pools.md).
 *
 * <p>Each function has one active pool ({@link PoolSpec}); when its code or instance-shaping
 * settings change, the old pool drains: its idle instances close at once, its leased ones when they
 * come back, and in-flight invocations never notice. Isolation {@code fresh} resets an instance to
 * its post-init snapshot when it comes back; {@code reuse} keeps its state. A pool keeps {@code
 * minInstances} alive at all times (refilled off the request path), closes idle instances beyond
 * that after the idle TTL, and never lets the host exceed its instance limit: at the limit, the
 * instance idle the longest anywhere (beyond its pool's minimum) makes room.
 *
 * <p>Everything it holds is counted against the host's {@link MemoryBudget}: compiled code, each
 * pool's post-init snapshot (a function version's own, never shared by content hash), and each
 * instance's private memory. What does not fit after closing idle instances of other functions is
 * refused with a {@link MemoryBudgetException} (docs/adr/0028-memory-budget-and-per-version-
 * snapshots.md).
 */
public final class InstancePool {
    private static final Logger log = LoggerFactory.getLogger(InstancePool.class);
    private static final long TOMBSTONE_NANOS = TimeUnit.MINUTES.toNanos(10);

    /** Test seam: throws in the maintenance sweep (ADR 0030). */
    static final FaultPoint FAULTS = new FaultPoint();

    private final PoolLimits limits;
    private final Map<String, FunctionPools> functions = new ConcurrentHashMap<>();

    /** Deleted functions, and when: late invocations of them get instances that are not kept. */
    private final Map<String, Long> retired = new ConcurrentHashMap<>();

    private final Set<Lease> outstanding = ConcurrentHashMap.newKeySet();
    private final HostInstanceLimit hostLimit;
    private final ScheduledExecutorService maintenance;
    private final PoolMetrics metrics;
    private final CodeCache code;
    private final LongAdder refillFailures = new LongAdder();
    private final MemoryBudget budget;

    private final InstanceMemory memory;

    private volatile boolean shutDown;

    /** The pools of one function: the active one, and identities it has left behind. */
    private static final class FunctionPools {
        final Map<Identity, VersionPool> pools = new HashMap<>();
        final Set<Identity> retired = new HashSet<>();
        Identity active;
    }

    /**
     * What makes instances interchangeable: the same code, rules and isolation, and the same
     * function version (its post-init state is that version's own).
     */
    private record Identity(VersionKey key, Isolation isolation, int version) {
        static Identity of(PoolSpec s) {
            return new Identity(s.key(), s.isolation(), s.version());
        }
    }

    public InstancePool(ModuleCompiler compiler, PoolLimits limits, Metrics metrics) {
        this.limits = limits;
        this.budget = new MemoryBudget(limits.memoryBudgetBytes(), metrics);
        budget.evictor(this::evictForBudget);
        this.memory = new InstanceMemory(budget);
        this.hostLimit = new HostInstanceLimit(limits.maxInstances());
        this.metrics = new PoolMetrics(metrics);
        this.code = new CodeCache(compiler, budget, this.metrics.compilations);
        PoolMetrics.gauges(metrics, this, limits);
        this.maintenance =
                Executors.newSingleThreadScheduledExecutor(
                        r -> {
                            Thread t = new Thread(r, "kiln-pool");
                            t.setDaemon(true);
                            return t;
                        });
        long sweep = Math.max(10, Math.min(1000, limits.idleTtl().toMillis() / 4));
        maintenance.scheduleWithFixedDelay(this::sweep, sweep, sweep, TimeUnit.MILLISECONDS);
    }

    /**
     * A leased instance, the code it runs, and how it was obtained. Give it back with {@link
     * #release} exactly once.
     */
    public static final class Lease {
        private final VersionKey key;
        private final GuestInstance instance;
        private final StartKind startKind;
        private final VersionPool owner;

        /** A detached (upload check) instance's own initial state; null for pooled leases. */
        private final InitialState state;

        private final AtomicBoolean returned = new AtomicBoolean();

        Lease(
                VersionKey key,
                GuestInstance instance,
                StartKind startKind,
                VersionPool owner,
                InitialState state) {
            this.key = key;
            this.instance = instance;
            this.startKind = startKind;
            this.owner = owner;
            this.state = state;
        }

        public VersionKey key() {
            return key;
        }

        public GuestInstance instance() {
            return instance;
        }

        public StartKind startKind() {
            return startKind;
        }
    }

    // --- compiled code (CodeCache) ------------------------------------------------------------

    /**
     * Compiles {@code key}'s module if no code exists for it yet. Concurrent callers for the same
     * key wait for one compilation.
     *
     * @return true when this call compiled the code (or loaded it from the disk cache)
     */
    public boolean prepare(VersionKey key, Supplier<byte[]> wasm) {
        return code.prepare(key, wasm);
    }

    /** The pool's code, compiling it if needed; true in {@code cold} if this call compiled. */
    private CompiledModule codeFor(VersionPool pool, boolean[] cold) {
        CompiledModule m = pool.module();
        if (m == null) {
            m = code.forInstance(pool.spec().key(), pool.wasm(), pool.draining(), cold);
            pool.module(m);
        }
        return m;
    }

    /** Compiled code and whether it had to be compiled for this request. */
    public record Code(CompiledModule module, StartKind startKind) {}

    /**
     * The compiled code of {@code key}, compiled now if needed ({@code COLD}, else {@code WARM}).
     * For ABIs that instantiate per invocation and never pool instances (wasi-cgi).
     */
    public Code code(VersionKey key, Supplier<byte[]> wasm) {
        return code.code(key, wasm);
    }

    /**
     * Drops compiled code (in memory and in the disk cache) of every version with this content
     * hash. Pools still draining keep their own reference until their instances are gone.
     */
    public void evict(String sha256) {
        code.evict(sha256);
    }

    /**
     * Drops the compiled code of {@code key} from memory only: other keys of the same content hash
     * share its disk cache entry.
     */
    public void evict(VersionKey key) {
        code.evict(key);
    }

    /** The host's memory budget (to wire outside sources such as request buffers into it). */
    public MemoryBudget memoryBudget() {
        return budget;
    }

    /** Number of compiled versions held. */
    public int compiledCount() {
        return code.size();
    }

    // --- leasing ----------------------------------------------------------------------------

    /**
     * Leases an instance from {@code spec}'s pool without waiting: an idle one ({@code pool}), else
     * a new one ({@code warm}, or {@code cold} if the code had to be compiled).
     *
     * @throws InstanceLimitException when the function or the host is at its instance limit
     * @see #acquire(PoolSpec, Supplier, long)
     */
    public Lease acquire(PoolSpec spec, Supplier<byte[]> wasm) {
        try {
            return acquire(spec, wasm, System.nanoTime());
        } catch (InterruptedException e) {
            // Unreachable: a deadline that has passed never waits. Keep the flag for the caller.
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Leases an instance from {@code spec}'s pool: an idle one ({@code pool}), else a new one
     * ({@code warm}, or {@code cold} if the code had to be compiled). At the function's
     * maxInstances while instances are being created for the pool (a refill), waits until {@code
     * waitUntilNanos} for one of them instead of refusing. Guest code (start, {@code kiln_init})
     * may run on the calling thread, so call it under the invocation's deadline.
     *
     * @throws InstanceLimitException when the function or the host is at its instance limit, or no
     *     instance became ready before {@code waitUntilNanos} ({@link
     *     InstanceLimitException#timedOut()})
     * @throws InterruptedException when the calling thread is interrupted while waiting
     */
    public Lease acquire(PoolSpec spec, Supplier<byte[]> wasm, long waitUntilNanos)
            throws InterruptedException {
        VersionPool pool = poolFor(spec, wasm);
        if (pool.wantsRefill()) {
            scheduleRefill(pool); // minInstances raised, or first use after a restart
        }
        switch (pool.claim(waitUntilNanos)) {
            case VersionPool.Claim.Taken t -> {
                return lease(pool, t.instance(), StartKind.POOL);
            }
            case VersionPool.Claim.Full f ->
                    throw new InstanceLimitException(
                            "function "
                                    + spec.function()
                                    + " is at its maxInstances of "
                                    + spec.maxInstances(),
                            false);
            case VersionPool.Claim.TimedOut t ->
                    throw new InstanceLimitException(
                            "function "
                                    + spec.function()
                                    + " is at its maxInstances of "
                                    + spec.maxInstances()
                                    + " and no instance became ready in time",
                            true);
            case VersionPool.Claim.Reserved r -> {}
        }
        boolean hostSlot = false;
        try {
            reserveHostSlot(spec.function());
            hostSlot = true;
            boolean[] cold = {false};
            GuestInstance instance =
                    memory.instantiate(codeFor(pool, cold), pool.initial(), spec.function());
            metrics.created.inc("request");
            return lease(pool, instance, cold[0] ? StartKind.COLD : StartKind.WARM);
        } catch (RuntimeException | Error e) {
            pool.unreserveLease();
            if (hostSlot) {
                hostLimit.release();
            }
            memory.releaseStatesIfGone(pool);
            throw e;
        }
    }

    private Lease lease(VersionPool pool, GuestInstance instance, StartKind kind) {
        Lease l = new Lease(pool.spec().key(), instance, kind, pool, null);
        outstanding.add(l);
        return l;
    }

    /**
     * Creates an instance that belongs to no pool yet: the upload check. Give it to {@link #adopt}
     * once the function is stored, or to {@link #release} to close it.
     *
     * @throws InstanceLimitException when the host is at its instance limit
     */
    public Lease instantiateDetached(VersionKey key, Supplier<byte[]> wasm) {
        reserveHostSlot(null);
        // The upload's own initial state: kiln_init runs for this version, whatever else runs
        // the same bytes; the pool that adopts the instance takes the state with it.
        InitialState state = new InitialState();
        try {
            boolean[] cold = {false};
            CompiledModule m = code.forInstance(key, wasm, false, cold);
            GuestInstance instance = memory.instantiate(m, state, null);
            metrics.created.inc("trial");
            Lease l =
                    new Lease(
                            key, instance, cold[0] ? StartKind.COLD : StartKind.WARM, null, state);
            outstanding.add(l);
            return l;
        } catch (RuntimeException | Error e) {
            hostLimit.release();
            memory.releaseSnapshot(state);
            throw e;
        }
    }

    // --- memory budget (InstanceMemory) -------------------------------------------------

    /** A candidate for eviction: an idle instance and its pool. */
    private record Victim(VersionPool pool, GuestInstance instance) {}

    /**
     * Closes idle instances (beyond their pools' minimum) of functions other than {@code
     * requester}, least recently used first, to free {@code neededBytes}; see {@link
     * EvictionPolicy}. Returns the bytes freed.
     */
    private long evictForBudget(long neededBytes, String requester) {
        List<EvictionPolicy.Candidate<Victim>> candidates = new ArrayList<>();
        for (FunctionPools fp : functions.values()) {
            synchronized (fp) {
                for (VersionPool p : fp.pools.values()) {
                    for (VersionPool.Idle i : p.evictable()) {
                        candidates.add(
                                new EvictionPolicy.Candidate<>(
                                        new Victim(p, i.instance()),
                                        p.spec().function(),
                                        i.sinceNanos(),
                                        memory.charge(i.instance())));
                    }
                }
            }
        }
        long freed = 0;
        for (var c : EvictionPolicy.choose(candidates, neededBytes, requester)) {
            if (c.ref().pool().evict(c.ref().instance())) {
                freed += c.bytes();
                close(c.ref().instance(), "memory_budget");
            }
        }
        return freed;
    }

    /**
     * Takes an instance back after its invocation. With isolation {@code fresh} it is reset to its
     * snapshot; it is kept for the next invocation unless it failed, could not be reset, or its
     * pool is draining or over its size.
     *
     * @throws IllegalStateException when the lease was already returned
     */
    public void release(Lease lease) {
        if (!lease.returned.compareAndSet(false, true)) {
            throw new IllegalStateException("an instance lease was returned twice");
        }
        outstanding.remove(lease);
        VersionPool pool = lease.owner;
        GuestInstance instance = lease.instance();
        if (pool == null) {
            close(instance, "drained");
            if (lease.state != null) { // an upload check never adopted: its snapshot goes too
                memory.releaseSnapshot(lease.state);
            }
            return;
        }
        String why = null;
        if (!instance.reusable()) {
            why = "failed";
        } else if (pool.spec().isolation() == Isolation.FRESH && !instance.resetForReuse()) {
            why = "not_resettable";
        } else if (!memory.recount(instance)) {
            why = "memory_budget";
        }
        if (!pool.offer(instance, true, why == null, System.nanoTime())) {
            close(instance, why != null ? why : pool.draining() ? "drained" : "over_limit");
            memory.releaseStatesIfGone(pool);
            if (pool.wantsRefill()) {
                scheduleRefill(pool);
            }
        }
    }

    /** Puts a detached instance (from {@link #instantiateDetached}) into {@code spec}'s pool. */
    public void adopt(PoolSpec spec, Supplier<byte[]> wasm, Lease lease) {
        if (lease.owner != null || !lease.returned.compareAndSet(false, true)) {
            throw new IllegalStateException("only an unreturned detached lease can be adopted");
        }
        outstanding.remove(lease);
        retired.remove(spec.function()); // an upload re-creating a deleted function
        VersionPool pool = poolFor(spec, wasm, false);
        if (!pool.takeInitial(lease.state)) {
            // The pool initialised its own state meanwhile: one version, one snapshot.
            close(lease.instance(), "over_limit");
            memory.releaseSnapshot(lease.state);
        } else if (!pool.adopt(lease.instance(), System.nanoTime())) {
            close(lease.instance(), "over_limit");
        }
        memory.releaseStatesIfGone(pool);
        if (pool.wantsRefill()) {
            scheduleRefill(pool);
        }
    }

    private void close(GuestInstance instance, String reason) {
        hostLimit.release();
        metrics.discarded.inc(reason);
        memory.closed(instance);
        // Nothing to free explicitly: the instance's memory and objects go with the last reference.
    }

    private void closeAll(List<GuestInstance> instances, String reason) {
        for (GuestInstance i : instances) {
            close(i, reason);
        }
    }

    // --- which pool -------------------------------------------------------------------------

    private VersionPool poolFor(PoolSpec spec, Supplier<byte[]> wasm) {
        return poolFor(spec, wasm, true);
    }

    /**
     * The pool for {@code spec}, created if needed. A function's first pool becomes its active one
     * if {@code activateIfFirst} (an invocation after a restart); an upload stages its pool
     * without, and {@link #activate}s it once stored.
     */
    private VersionPool poolFor(PoolSpec spec, Supplier<byte[]> wasm, boolean activateIfFirst) {
        if (retired.containsKey(spec.function())) {
            return new VersionPool(spec, wasm, true); // a late invocation of a deleted function
        }
        FunctionPools fp = functions.computeIfAbsent(spec.function(), k -> new FunctionPools());
        Identity id = Identity.of(spec);
        List<GuestInstance> excess;
        VersionPool pool;
        synchronized (fp) {
            pool = fp.pools.get(id);
            if (pool == null) {
                if (fp.retired.contains(id)) {
                    return new VersionPool(spec, wasm, true); // a late invocation of old code
                }
                pool = new VersionPool(spec, wasm, false);
                fp.pools.put(id, pool);
                if (fp.active == null && activateIfFirst) {
                    fp.active = id;
                }
                excess = List.of();
            } else {
                excess = pool.resize(spec);
            }
        }
        closeAll(excess, "over_limit");
        // No refill from here: a caller about to add an instance (adopt) would race with it.
        return pool;
    }

    /**
     * Makes {@code spec} the function's active pool: every other pool of the function drains
     * (in-flight invocations finish on their instances), and the active one is refilled to
     * minInstances in the background. Call it once a function's new code or settings are stored.
     */
    public void activate(PoolSpec spec, Supplier<byte[]> wasm) {
        retired.remove(spec.function());
        FunctionPools fp = functions.computeIfAbsent(spec.function(), k -> new FunctionPools());
        Identity id = Identity.of(spec);
        List<VersionPool> old = new ArrayList<>();
        VersionPool pool;
        List<GuestInstance> excess;
        synchronized (fp) {
            for (var e : fp.pools.entrySet()) {
                if (!e.getKey().equals(id)) {
                    old.add(e.getValue());
                    fp.retired.add(e.getKey());
                }
            }
            fp.pools.keySet().retainAll(Set.of(id));
            fp.retired.remove(id);
            fp.active = id;
            pool = fp.pools.computeIfAbsent(id, k -> new VersionPool(spec, wasm, false));
            excess = pool.resize(spec);
        }
        closeAll(excess, "over_limit");
        for (VersionPool p : old) {
            closeAll(p.drain(), "drained");
            memory.releaseStatesIfGone(p);
        }
        if (pool.wantsRefill()) {
            scheduleRefill(pool);
        }
    }

    /**
     * Fills {@code spec}'s pool to its minInstances on the calling thread, before the function
     * takes traffic on it (the pool is not made active: see {@link #activate}).
     */
    public void warm(PoolSpec spec, Supplier<byte[]> wasm) {
        retired.remove(spec.function());
        VersionPool pool = poolFor(spec, wasm, false);
        fill(pool, "refill");
    }

    /**
     * Drops {@code spec}'s pool unless it is the function's active one: for an upload that staged
     * instances (with {@link #adopt} or {@link #warm}) and then failed.
     */
    public void discardStaged(PoolSpec spec) {
        FunctionPools fp = functions.get(spec.function());
        if (fp == null) {
            return;
        }
        Identity id = Identity.of(spec);
        VersionPool staged = null;
        synchronized (fp) {
            if (!id.equals(fp.active)) {
                staged = fp.pools.remove(id);
            }
            if (fp.pools.isEmpty() && fp.active == null) {
                functions.remove(spec.function(), fp);
            }
        }
        if (staged != null) {
            closeAll(staged.drain(), "drained");
            memory.releaseStatesIfGone(staged);
        }
    }

    /** Drains every pool of a deleted function; late invocations get instances that are closed. */
    public void retire(String function) {
        retired.put(function, System.nanoTime());
        FunctionPools fp = functions.remove(function);
        if (fp == null) {
            return;
        }
        List<VersionPool> pools;
        synchronized (fp) {
            pools = new ArrayList<>(fp.pools.values());
            fp.pools.clear();
        }
        for (VersionPool p : pools) {
            closeAll(p.drain(), "drained");
            memory.releaseStatesIfGone(p);
        }
    }

    // --- background: refill, idle TTL, host limit -------------------------------------------

    private void scheduleRefill(VersionPool pool) {
        if (shutDown || !pool.queueRefill()) {
            return;
        }
        try {
            maintenance.execute(
                    () -> {
                        pool.refillDone();
                        try {
                            fill(pool, "refill");
                        } catch (RuntimeException | Error e) {
                            // A scheduled executor would swallow it unseen (ADR 0030).
                            BackgroundLoops.survived(log, "kiln-pool", e);
                        }
                    });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            pool.refillDone(); // shutting down
        }
    }

    /** Creates instances until the pool holds its minimum; stops at the first failure. */
    private void fill(VersionPool pool, String reason) {
        while (!shutDown && pool.wantsRefill()) {
            if (!pool.reserveIdle()) {
                return;
            }
            try {
                reserveHostSlot(pool.spec().function());
            } catch (InstanceLimitException e) {
                pool.unreserveIdle();
                refillFailures.increment();
                log.warn(
                        "cannot keep minInstances of {}: {}",
                        pool.spec().function(),
                        e.getMessage());
                return;
            }
            GuestInstance instance;
            try {
                instance =
                        memory.instantiate(
                                codeFor(pool, new boolean[1]),
                                pool.initial(),
                                pool.spec().function());
            } catch (RuntimeException | Error e) {
                // Undo the count whatever went wrong: a claim may be waiting for this instance.
                pool.unreserveIdle();
                hostLimit.release();
                memory.releaseStatesIfGone(pool);
                refillFailures.increment();
                if (e instanceof Error err && !(err instanceof StackOverflowError)) {
                    throw err;
                }
                log.warn(
                        "could not create an instance of {} to keep warm: {}",
                        pool.spec().function(),
                        e.toString());
                return;
            }
            metrics.created.inc(reason);
            if (!pool.offer(instance, false, true, System.nanoTime())) {
                close(instance, "drained");
                memory.releaseStatesIfGone(pool);
                return;
            }
        }
    }

    /**
     * Counts one more instance against the host-wide limit, closing the instance idle the longest
     * (beyond its pool's minimum) anywhere on the host if the limit is reached.
     */
    private void reserveHostSlot(String forFunction) {
        hostLimit.reserve(forFunction, this::evictOldestIdle);
    }

    /** Closes the instance idle the longest on the host (see {@link EvictionPolicy#oldest}). */
    private boolean evictOldestIdle() {
        List<EvictionPolicy.Candidate<VersionPool>> candidates = new ArrayList<>();
        for (FunctionPools fp : functions.values()) {
            synchronized (fp) {
                for (VersionPool p : fp.pools.values()) {
                    long s = p.oldestEvictableSince();
                    if (s != Long.MAX_VALUE) {
                        candidates.add(
                                new EvictionPolicy.Candidate<>(p, p.spec().function(), s, 0));
                    }
                }
            }
        }
        var oldest = EvictionPolicy.oldest(candidates);
        if (oldest == null) {
            return false;
        }
        GuestInstance victim = oldest.ref().evictOldest();
        if (victim == null) {
            return true; // it went meanwhile; look again
        }
        close(victim, "evicted");
        return true;
    }

    /**
     * Closes instances idle past the TTL, refills pools below their minimum, forgets tombstones.
     */
    private void sweep() {
        try {
            FAULTS.pass();
            long now = System.nanoTime();
            long cutoff = now - limits.idleTtl().toNanos();
            for (FunctionPools fp : functions.values()) {
                List<VersionPool> pools;
                synchronized (fp) {
                    pools = new ArrayList<>(fp.pools.values());
                }
                for (VersionPool p : pools) {
                    closeAll(p.expire(cutoff), "idle_ttl");
                    if (p.wantsRefill()) {
                        fill(p, "refill");
                    }
                }
            }
            retired.values().removeIf(t -> now - t > TOMBSTONE_NANOS);
        } catch (RuntimeException | Error e) {
            // Thrown out of a periodic task, it would cancel every later sweep (ADR 0030).
            BackgroundLoops.survived(log, "kiln-pool", e);
        }
    }

    // --- inspection and shutdown ------------------------------------------------------------

    /** Instance counts of a function's pools. */
    public record Stats(int idle, int leased, int live) {}

    public Stats stats(String function) {
        FunctionPools fp = functions.get(function);
        return fp == null ? new Stats(0, 0, 0) : stats(fp);
    }

    private static Stats stats(FunctionPools fp) {
        int idle = 0;
        int leased = 0;
        int live = 0;
        synchronized (fp) {
            for (VersionPool p : fp.pools.values()) {
                idle += p.idleCount();
                leased += p.leasedCount();
                live += p.liveCount();
            }
        }
        return new Stats(idle, leased, live);
    }

    /** Instances alive on the host. */
    public int liveInstances() {
        return hostLimit.live();
    }

    /** Instances out on lease, those of draining pools included. */
    int leasedInstances() {
        return outstanding.size();
    }

    /** Calls {@code action} with the instance counts of every function's pools. */
    void forEachFunction(java.util.function.BiConsumer<String, Stats> action) {
        for (var e : functions.entrySet()) {
            action.accept(e.getKey(), stats(e.getValue()));
        }
    }

    /** Heap bytes held privately by idle instances, per function: for density measurements. */
    public long idlePrivateBytes() {
        long n = 0;
        for (FunctionPools fp : functions.values()) {
            synchronized (fp) {
                for (VersionPool p : fp.pools.values()) {
                    n += p.idlePrivateBytes();
                }
            }
        }
        return n;
    }

    /**
     * Stops background work and closes every idle instance, then checks that every leased instance
     * came back. Call it after the invocations have stopped.
     *
     * @return leases never returned, by function (empty when every instance came back)
     */
    public Map<String, Integer> shutdown() {
        shutDown = true;
        maintenance.shutdownNow();
        for (String f : new ArrayList<>(functions.keySet())) {
            FunctionPools fp = functions.remove(f);
            if (fp != null) {
                List<VersionPool> pools;
                synchronized (fp) {
                    pools = new ArrayList<>(fp.pools.values());
                }
                for (VersionPool p : pools) {
                    closeAll(p.drain(), "drained");
                    memory.releaseStatesIfGone(p);
                }
            }
        }
        Map<String, Integer> leaks = new TreeMap<>();
        for (Lease l : outstanding) {
            String f = l.owner == null ? "(upload check)" : l.owner.spec().function();
            leaks.merge(f, 1, Integer::sum);
        }
        if (!leaks.isEmpty()) {
            log.error("instances never returned to their pool: {}", leaks);
        }
        return leaks;
    }
}
