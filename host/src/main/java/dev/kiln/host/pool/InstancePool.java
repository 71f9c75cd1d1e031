package dev.kiln.host.pool;

import dev.kiln.host.core.BackgroundLoops;
import dev.kiln.host.core.FaultPoint;
import dev.kiln.host.core.FunctionName;
import dev.kiln.host.observability.Metrics;
import dev.kiln.host.sandbox.CompiledModule;
import dev.kiln.host.sandbox.GuestInstance;
import dev.kiln.host.sandbox.InitialState;
import dev.kiln.host.sandbox.ModuleCompiler;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
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
 *
 * <p>It owns the threads and the order of things; its parts each do one job: {@link CodeCache}
 * (compiled modules), {@link PoolDirectory} (which pools each function has), {@link InstanceMemory}
 * and {@link HostInstanceLimit} (what is counted), {@link PoolEvictor} with the pure {@link
 * EvictionPolicy} (what makes room), {@link PoolMetrics} (what is published).
 */
public final class InstancePool {
    private static final Logger log = LoggerFactory.getLogger(InstancePool.class);

    /** Test seam: throws in the maintenance sweep (ADR 0030). */
    static final FaultPoint FAULTS = new FaultPoint();

    private final PoolLimits limits;
    private final PoolDirectory directory = new PoolDirectory();

    private final Set<Lease> outstanding = ConcurrentHashMap.newKeySet();
    private final HostInstanceLimit hostLimit;
    private final ScheduledExecutorService maintenance;
    private final PoolMetrics metrics;
    private final CodeCache code;
    private final MemoryBudget budget;

    private final InstanceMemory memory;
    private final PoolEvictor evictor;
    private final PoolRefiller refiller;

    public InstancePool(ModuleCompiler compiler, PoolLimits limits, Metrics metrics) {
        this.limits = limits;
        this.budget = new MemoryBudget(limits.memoryBudgetBytes(), metrics);
        this.memory = new InstanceMemory(budget);
        this.evictor = new PoolEvictor(directory, memory, this::close);
        budget.evictor(evictor::forBudget);
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
        this.refiller =
                new PoolRefiller(
                        maintenance,
                        this::reserveHostSlot,
                        hostLimit,
                        memory,
                        this.metrics,
                        pool -> codeFor(pool, new boolean[1]),
                        this::close);
        long sweep = Math.max(10, Math.min(1000, limits.idleTtl().toMillis() / 4));
        // sweep() catches and logs its own failures (a throw would end the schedule silently);
        // close() stops the schedule by shutting the executor down.
        var unusedSweeps =
                maintenance.scheduleWithFixedDelay(
                        this::sweep, sweep, sweep, TimeUnit.MILLISECONDS);
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
     * For what is instantiated outside the pools: wasi-cgi commands with a start function
     * (docs/adr/0066) and their upload check.
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
     * Leases an instance from {@code spec}'s pool without waiting: an idle one (start kind pool),
     * else a new one (warm, or cold if the code had to be compiled).
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
     * Leases an instance from {@code spec}'s pool: an idle one (start kind pool), else a new one
     * (warm, or cold if the code had to be compiled). At the function's maxInstances while
     * instances are being created for the pool (a refill), waits until {@code waitUntilNanos} for
     * one of them instead of refusing. Guest code (start, {@code kiln_init}) may run on the calling
     * thread, so call it under the invocation's deadline.
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
            refiller.schedule(pool); // minInstances raised, or first use after a restart
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
                refiller.schedule(pool);
            }
        }
    }

    /** Puts a detached instance (from {@link #instantiateDetached}) into {@code spec}'s pool. */
    public void adopt(PoolSpec spec, Supplier<byte[]> wasm, Lease lease) {
        if (lease.owner != null || !lease.returned.compareAndSet(false, true)) {
            throw new IllegalStateException("only an unreturned detached lease can be adopted");
        }
        outstanding.remove(lease);
        directory.unretire(spec.function()); // an upload re-creating a deleted function
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
            refiller.schedule(pool);
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
        PoolDirectory.Found found = directory.poolFor(spec, wasm, activateIfFirst);
        closeAll(found.excess(), "over_limit");
        // No refill from here: a caller about to add an instance (adopt) would race with it.
        return found.pool();
    }

    /**
     * Makes {@code spec} the function's active pool: every other pool of the function drains
     * (in-flight invocations finish on their instances), and the active one is refilled to
     * minInstances in the background. Call it once a function's new code or settings are stored.
     */
    public void activate(PoolSpec spec, Supplier<byte[]> wasm) {
        activate(spec, wasm, Set.of());
    }

    /**
     * Like {@link #activate(PoolSpec, Supplier)}, but the pools of the versions in {@code
     * alsoServing} (those aliases send traffic to, docs/adr/0037) stay too.
     */
    public void activate(PoolSpec spec, Supplier<byte[]> wasm, Set<Integer> alsoServing) {
        PoolDirectory.Activated a = directory.activate(spec, wasm, alsoServing);
        closeAll(a.excess(), "over_limit");
        drainAll(a.old());
        if (a.pool().wantsRefill()) {
            refiller.schedule(a.pool());
        }
    }

    /**
     * Keeps the function's active pool and those of the {@code serving} versions with {@code
     * isolation}; every other pool drains. For an alias change: a version that lost all its traffic
     * drains.
     */
    public void serveOnly(FunctionName function, Set<Integer> serving, Isolation isolation) {
        PoolDirectory.Activated a = directory.serveOnly(function, serving, isolation);
        closeAll(a.excess(), "over_limit");
        drainAll(a.old());
    }

    /** Closes the idle instances of pools let go; leased ones close when they come back. */
    private void drainAll(List<VersionPool> pools) {
        for (VersionPool p : pools) {
            closeAll(p.drain(), "drained");
            memory.releaseStatesIfGone(p);
        }
    }

    /**
     * Fills {@code spec}'s pool to its minInstances on the calling thread, before the function
     * takes traffic on it (the pool is not made active: see {@link #activate}).
     */
    public void warm(PoolSpec spec, Supplier<byte[]> wasm) {
        directory.unretire(spec.function());
        VersionPool pool = poolFor(spec, wasm, false);
        refiller.fill(pool, "refill");
    }

    /**
     * Drops {@code spec}'s pool unless it is the function's active one: for an upload that staged
     * instances (with {@link #adopt} or {@link #warm}) and then failed.
     */
    public void discardStaged(PoolSpec spec) {
        VersionPool staged = directory.discardStaged(spec);
        if (staged != null) {
            drainAll(List.of(staged));
        }
    }

    /** Drains every pool of a deleted function; late invocations get instances that are closed. */
    public void retire(FunctionName function) {
        drainAll(directory.retire(function));
    }

    // --- background: idle TTL, host limit (refills: PoolRefiller) -----------------------------

    /**
     * Counts one more instance against the host-wide limit, closing the instance idle the longest
     * (beyond its pool's minimum) anywhere on the host if the limit is reached.
     */
    private void reserveHostSlot(FunctionName forFunction) {
        hostLimit.reserve(forFunction, evictor::oldestIdle);
    }

    /**
     * Closes instances idle past the TTL, refills pools below their minimum, forgets tombstones.
     */
    private void sweep() {
        try {
            FAULTS.pass();
            long now = System.nanoTime();
            long cutoff = now - limits.idleTtl().toNanos();
            for (VersionPool p : directory.pools()) {
                closeAll(p.expire(cutoff), "idle_ttl");
                if (p.wantsRefill()) {
                    refiller.fill(p, "refill");
                }
            }
            directory.forgetOldDeletions(now);
        } catch (RuntimeException | Error e) {
            // Thrown out of a periodic task, it would cancel every later sweep (ADR 0030).
            BackgroundLoops.survived(log, "kiln-pool", e);
        }
    }

    // --- inspection and shutdown ------------------------------------------------------------

    /** Instance counts of a function's pools. */
    public record Stats(int idle, int leased, int live) {}

    public Stats stats(FunctionName function) {
        return directory.stats(function);
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
    void forEachFunction(BiConsumer<FunctionName, Stats> action) {
        directory.forEachFunction(action);
    }

    /** Heap bytes held privately by idle instances, per function: for density measurements. */
    public long idlePrivateBytes() {
        long[] n = {0};
        directory.forEachPool(p -> n[0] += p.idlePrivateBytes());
        return n[0];
    }

    /**
     * Stops background work and closes every idle instance, then checks that every leased instance
     * came back. Call it after the invocations have stopped.
     *
     * @return leases never returned, by function (empty when every instance came back)
     */
    public Map<String, Integer> shutdown() {
        refiller.stop();
        maintenance.shutdownNow();
        drainAll(directory.removeAll());
        Map<String, Integer> leaks = new TreeMap<>();
        for (Lease l : outstanding) {
            String f = l.owner == null ? "(upload check)" : l.owner.spec().function().toString();
            leaks.merge(f, 1, Integer::sum);
        }
        if (!leaks.isEmpty()) {
            log.error("instances never returned to their pool: {}", leaks);
        }
        return leaks;
    }
}
