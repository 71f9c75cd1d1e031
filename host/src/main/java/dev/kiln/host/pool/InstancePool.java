package dev.kiln.host.pool;

import dev.kiln.host.core.BackgroundLoops;
import dev.kiln.host.core.FaultPoint;
import dev.kiln.host.observability.Metrics;
import dev.kiln.host.sandbox.CompiledModule;
import dev.kiln.host.sandbox.GuestInstance;
import dev.kiln.host.sandbox.InitialState;
import dev.kiln.host.sandbox.ModuleCompiler;
import dev.kiln.host.sandbox.ModuleValidator;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
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

    private final ModuleCompiler compiler;
    private final PoolLimits limits;
    private final Map<VersionKey, CompiledModule> compiled = new ConcurrentHashMap<>();

    /**
     * Compilations under way, so concurrent callers for one key wait for one compilation. Kept out
     * of {@link #compiled}: compiling inside its {@code computeIfAbsent} would hold a lock of the
     * map for seconds, stalling every writer of the same bin and every resize (docs/adr/0029).
     */
    private final Map<VersionKey, CompletableFuture<CompiledModule>> compiling =
            new ConcurrentHashMap<>();

    private final Map<String, FunctionPools> functions = new ConcurrentHashMap<>();

    /** Deleted functions, and when: late invocations of them get instances that are not kept. */
    private final Map<String, Long> retired = new ConcurrentHashMap<>();

    private final Set<Lease> outstanding = ConcurrentHashMap.newKeySet();
    private final AtomicInteger liveTotal = new AtomicInteger();
    private final ScheduledExecutorService maintenance;
    private final Metrics.Counter created;
    private final Metrics.Counter discarded;
    private final Metrics.Counter compilations;
    private final LongAdder refillFailures = new LongAdder();
    private final MemoryBudget budget;

    /** What each compiled module in {@link #compiled} is counted at. */
    private final Map<VersionKey, Long> codeCharges = new ConcurrentHashMap<>();

    /** What each live instance is counted at (identity keys: instances do not override equals). */
    private final Map<GuestInstance, Long> instanceCharges = new ConcurrentHashMap<>();

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
        this.compiler = compiler;
        this.limits = limits;
        this.budget = new MemoryBudget(limits.memoryBudgetBytes(), metrics);
        budget.evictor(this::evictForBudget);
        this.created =
                metrics.counter(
                        "kiln_instances_created_total",
                        "Guest instances created, by why: request (no idle instance), refill"
                                + " (keeping minInstances), trial (upload check).",
                        "reason");
        this.discarded =
                metrics.counter(
                        "kiln_instances_discarded_total",
                        "Guest instances closed, by why: failed, not_resettable, drained,"
                                + " idle_ttl, evicted (host instance limit), over_limit,"
                                + " memory_budget (evicted, or not kept, for the memory budget).",
                        "reason");
        this.compilations =
                metrics.counter(
                        "kiln_compilations_total",
                        "Modules compiled to JVM bytecode, by where the code came from:"
                                + " compiled, or disk (the compiled-code cache of an earlier run).",
                        "source");
        metrics.gauge(
                "kiln_pool_instances",
                "Instances of each function's active pool, by state (idle, busy).",
                List.of("service", "function", "state"),
                sink -> {
                    for (var e : functions.entrySet()) {
                        String[] name = splitName(e.getKey());
                        int idle = 0;
                        int busy = 0;
                        synchronized (e.getValue()) {
                            for (VersionPool p : e.getValue().pools.values()) {
                                idle += p.idleCount();
                                busy += p.leasedCount();
                            }
                        }
                        sink.add(idle, name[0], name[1], "idle");
                        sink.add(busy, name[0], name[1], "busy");
                    }
                });
        metrics.gauge(
                "kiln_instances",
                "Guest instances alive on this host (idle, busy or being created).",
                List.of(),
                sink -> sink.add(liveTotal.get()));
        metrics.gauge(
                "kiln_instances_limit",
                "The host-wide instance limit.",
                List.of(),
                sink -> sink.add(limits.maxInstances()));
        metrics.gauge(
                "kiln_instances_leased",
                "Instances out on lease to an invocation, including those of draining pools.",
                List.of(),
                sink -> sink.add(outstanding.size()));
        metrics.gauge(
                "kiln_compiled_modules",
                "Compiled modules held in memory.",
                List.of(),
                sink -> sink.add(compiled.size()));
        metrics.gauge(
                "kiln_snapshot_bytes",
                "Heap bytes of post-init memory snapshots, one per function version (zero pages"
                        + " are not stored).",
                List.of(),
                sink -> sink.add(budget.used(MemoryBudget.Kind.SNAPSHOTS)));
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

    // --- compiled code ----------------------------------------------------------------------

    /**
     * Compiles {@code key}'s module if no code exists for it yet. Concurrent callers for the same
     * key wait for one compilation.
     *
     * @return true when this call compiled the code (or loaded it from the disk cache)
     */
    public boolean prepare(VersionKey key, Supplier<byte[]> wasm) {
        while (!compiled.containsKey(key)) {
            CompletableFuture<CompiledModule> mine = new CompletableFuture<>();
            CompletableFuture<CompiledModule> other = compiling.putIfAbsent(key, mine);
            if (other != null) {
                try {
                    other.join(); // another caller is compiling it: share its result
                } catch (CompletionException e) {
                    // It failed for that caller; the loop tries again here (like computeIfAbsent).
                }
                continue;
            }
            try {
                if (compiled.containsKey(key)) { // finished between our check and our claim
                    mine.complete(compiled.get(key));
                    return false;
                }
                CompiledModule m = compileCounted(key, wasm);
                compiled.put(key, m);
                mine.complete(m);
                return true;
            } catch (RuntimeException | Error e) {
                mine.completeExceptionally(e);
                throw e;
            } finally {
                compiling.remove(key, mine);
            }
        }
        return false;
    }

    /**
     * Compiles for the shared map, counting the estimated code size against the memory budget first
     * (it is given back when the code is evicted).
     */
    private CompiledModule compileCounted(VersionKey key, Supplier<byte[]> wasm) {
        byte[] bytes = wasm.get();
        long estimate = MemoryEstimates.compiledCode(bytes.length);
        budget.reserve(MemoryBudget.Kind.COMPILED_CODE, estimate, null);
        try {
            CompiledModule m = compile(key, () -> bytes);
            Long previous = codeCharges.put(key, estimate);
            if (previous != null) { // evicted and compiled again before the release landed
                budget.release(MemoryBudget.Kind.COMPILED_CODE, previous);
            }
            return m;
        } catch (RuntimeException | Error e) {
            budget.release(MemoryBudget.Kind.COMPILED_CODE, estimate);
            throw e;
        }
    }

    private void releaseCode(VersionKey key) {
        Long charge = codeCharges.remove(key);
        if (charge != null) {
            budget.release(MemoryBudget.Kind.COMPILED_CODE, charge);
        }
    }

    private CompiledModule compile(VersionKey key, Supplier<byte[]> wasm) {
        CompiledModule m = compiler.compile(ModuleValidator.validate(wasm.get(), key.rules()));
        compilations.inc(m.loadedFromDiskCache() ? "disk" : "compiled");
        return m;
    }

    /** The pool's code, compiling it if needed; true in {@code cold} if this call compiled. */
    private CompiledModule codeFor(VersionPool pool, boolean[] cold) {
        CompiledModule m = pool.module();
        if (m != null) {
            return m;
        }
        VersionKey key = pool.spec().key();
        if (pool.draining()) { // never re-fill the shared map for code that was let go
            m = compiled.get(key);
            if (m == null) {
                cold[0] = true;
                m = compile(key, pool.wasm());
            }
        } else {
            cold[0] = prepare(key, pool.wasm());
            m = compiled.get(key);
            if (m == null) { // evicted between prepare and here
                cold[0] = true;
                m = compile(key, pool.wasm());
            }
        }
        pool.module(m);
        return m;
    }

    /** Compiled code and whether it had to be compiled for this request. */
    public record Code(CompiledModule module, StartKind startKind) {}

    /**
     * The compiled code of {@code key}, compiled now if needed ({@code COLD}, else {@code WARM}).
     * For ABIs that instantiate per invocation and never pool instances (wasi-cgi).
     */
    public Code code(VersionKey key, Supplier<byte[]> wasm) {
        boolean cold = prepare(key, wasm);
        CompiledModule module = compiled.get(key);
        if (module == null) { // evicted between prepare and here: compile again
            cold = prepare(key, wasm);
            module = compiled.get(key);
        }
        return new Code(module, cold ? StartKind.COLD : StartKind.WARM);
    }

    /**
     * Drops compiled code (in memory and in the disk cache) of every version with this content
     * hash. Pools still draining keep their own reference until their instances are gone.
     */
    public void evict(String sha256) {
        List<VersionKey> gone = new ArrayList<>();
        for (VersionKey k : compiled.keySet()) {
            if (k.sha256().equals(sha256)) {
                gone.add(k);
            }
        }
        for (VersionKey k : gone) {
            CompiledModule m = compiled.remove(k);
            if (m != null) {
                releaseCode(k);
                compiler.discard(m);
            }
        }
    }

    /**
     * Drops the compiled code of {@code key} from memory only: other keys of the same content hash
     * (other handler, memory cap or ABI) share its disk cache entry. Pools still draining keep
     * their own reference until their instances are gone.
     */
    public void evict(VersionKey key) {
        if (compiled.remove(key) != null) {
            releaseCode(key);
        }
    }

    /** The host's memory budget (to wire outside sources such as request buffers into it). */
    public MemoryBudget memoryBudget() {
        return budget;
    }

    /** Number of compiled versions held. */
    public int compiledCount() {
        return compiled.size();
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
                    instantiateCounted(codeFor(pool, cold), pool.initial(), spec.function());
            created.inc("request");
            return lease(pool, instance, cold[0] ? StartKind.COLD : StartKind.WARM);
        } catch (RuntimeException | Error e) {
            pool.unreserveLease();
            if (hostSlot) {
                liveTotal.decrementAndGet();
            }
            releaseStatesIfGone(pool);
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
            boolean cold = prepare(key, wasm);
            CompiledModule m = compiled.get(key);
            if (m == null) {
                cold = true;
                m = compile(key, wasm);
            }
            GuestInstance instance = instantiateCounted(m, state, null);
            created.inc("trial");
            Lease l = new Lease(key, instance, cold ? StartKind.COLD : StartKind.WARM, null, state);
            outstanding.add(l);
            return l;
        } catch (RuntimeException | Error e) {
            liveTotal.decrementAndGet();
            budget.release(MemoryBudget.Kind.SNAPSHOTS, state.uncount());
            throw e;
        }
    }

    // --- memory budget ----------------------------------------------------------------------

    /**
     * Creates an instance of {@code state}'s version and counts it. The first instance of a version
     * runs {@code kiln_init}, which may fill its memory up to the memoryMiB cap before the snapshot
     * can be measured: room for that cap is reserved while it runs (and evicted for, or refused),
     * so an init that fills a gigabyte is refused before it starts rather than after the heap ran
     * out.
     */
    private GuestInstance instantiateCounted(
            CompiledModule code, InitialState state, String requester) {
        long initRoom = state.hasSnapshot() ? 0 : code.maxMemoryBytes();
        budget.reserve(MemoryBudget.Kind.INSTANCES, initRoom, requester);
        GuestInstance instance;
        try {
            instance = code.instantiate(state);
        } finally {
            budget.release(MemoryBudget.Kind.INSTANCES, initRoom);
        }
        countNew(state, instance, requester);
        return instance;
    }

    /**
     * Counts a new instance, and the snapshot it took if it was its version's first, against the
     * memory budget, evicting idle instances of other functions if needed.
     *
     * @throws MemoryBudgetException when they do not fit; a snapshot that did not fit is dropped
     */
    private void countNew(InitialState state, GuestInstance instance, String requester) {
        long snapshot = state.countOnce();
        if (snapshot > 0) {
            try {
                budget.reserve(MemoryBudget.Kind.SNAPSHOTS, snapshot, requester);
            } catch (MemoryBudgetException e) {
                state.forget();
                throw e;
            }
        }
        long bytes = MemoryEstimates.instance(instance);
        budget.reserve(MemoryBudget.Kind.INSTANCES, bytes, requester);
        instanceCharges.put(instance, bytes);
    }

    /**
     * Counts an instance coming back at what it holds now. False when it grew and the growth does
     * not fit: the caller closes it instead of keeping it idle.
     */
    private boolean recount(GuestInstance instance) {
        long now = MemoryEstimates.instance(instance);
        Long before = instanceCharges.get(instance);
        long delta = now - (before == null ? 0 : before);
        if (delta > 0 && !budget.tryReserve(MemoryBudget.Kind.INSTANCES, delta)) {
            return false;
        }
        if (delta < 0) {
            budget.release(MemoryBudget.Kind.INSTANCES, -delta);
        }
        instanceCharges.put(instance, now);
        return true;
    }

    /** Gives back the snapshots of a pool that has drained and whose last instance is gone. */
    private void releaseStatesIfGone(VersionPool pool) {
        for (InitialState s : pool.releaseStatesIfGone()) {
            budget.release(MemoryBudget.Kind.SNAPSHOTS, s.uncount());
        }
    }

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
                                        instanceCharges.getOrDefault(i.instance(), 0L)));
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
                budget.release(MemoryBudget.Kind.SNAPSHOTS, lease.state.uncount());
            }
            return;
        }
        String why = null;
        if (!instance.reusable()) {
            why = "failed";
        } else if (pool.spec().isolation() == Isolation.FRESH && !instance.resetForReuse()) {
            why = "not_resettable";
        } else if (!recount(instance)) {
            why = "memory_budget";
        }
        if (!pool.offer(instance, true, why == null, System.nanoTime())) {
            close(instance, why != null ? why : pool.draining() ? "drained" : "over_limit");
            releaseStatesIfGone(pool);
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
            budget.release(MemoryBudget.Kind.SNAPSHOTS, lease.state.uncount());
        } else if (!pool.adopt(lease.instance(), System.nanoTime())) {
            close(lease.instance(), "over_limit");
        }
        releaseStatesIfGone(pool);
        if (pool.wantsRefill()) {
            scheduleRefill(pool);
        }
    }

    private void close(GuestInstance instance, String reason) {
        liveTotal.decrementAndGet();
        discarded.inc(reason);
        Long charge = instanceCharges.remove(instance);
        if (charge != null) {
            budget.release(MemoryBudget.Kind.INSTANCES, charge);
        }
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
            releaseStatesIfGone(p);
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
            releaseStatesIfGone(staged);
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
            releaseStatesIfGone(p);
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
                        instantiateCounted(
                                codeFor(pool, new boolean[1]),
                                pool.initial(),
                                pool.spec().function());
            } catch (RuntimeException | Error e) {
                // Undo the count whatever went wrong: a claim may be waiting for this instance.
                pool.unreserveIdle();
                liveTotal.decrementAndGet();
                releaseStatesIfGone(pool);
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
            created.inc(reason);
            if (!pool.offer(instance, false, true, System.nanoTime())) {
                close(instance, "drained");
                releaseStatesIfGone(pool);
                return;
            }
        }
    }

    /**
     * Counts one more instance against the host-wide limit, closing the instance idle the longest
     * (beyond its pool's minimum) anywhere on the host if the limit is reached.
     */
    private void reserveHostSlot(String forFunction) {
        while (true) {
            int now = liveTotal.get();
            if (now < limits.maxInstances()) {
                if (liveTotal.compareAndSet(now, now + 1)) {
                    return;
                }
                continue;
            }
            if (!evictOldestIdle()) {
                throw new InstanceLimitException(
                        "the host is at its limit of "
                                + limits.maxInstances()
                                + " instances"
                                + (forFunction == null ? "" : " (wanted by " + forFunction + ")"),
                        false);
            }
        }
    }

    private boolean evictOldestIdle() {
        VersionPool oldest = null;
        long since = Long.MAX_VALUE;
        for (FunctionPools fp : functions.values()) {
            synchronized (fp) {
                for (VersionPool p : fp.pools.values()) {
                    long s = p.oldestEvictableSince();
                    if (s != Long.MAX_VALUE && (oldest == null || s - since < 0)) {
                        oldest = p;
                        since = s;
                    }
                }
            }
        }
        if (oldest == null) {
            return false;
        }
        GuestInstance victim = oldest.evictOldest();
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
        if (fp == null) {
            return new Stats(0, 0, 0);
        }
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
        return liveTotal.get();
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
                    releaseStatesIfGone(p);
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

    private static String[] splitName(String function) {
        int slash = function.indexOf('/');
        return slash < 0
                ? new String[] {function, ""}
                : new String[] {function.substring(0, slash), function.substring(slash + 1)};
    }
}
