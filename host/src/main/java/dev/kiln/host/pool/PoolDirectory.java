package dev.kiln.host.pool;

import dev.kiln.host.core.FunctionName;
import dev.kiln.host.sandbox.GuestInstance;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Which pools each function has: the active one, pools staged by an upload, identities it has left
 * behind (their late invocations get pools that keep nothing), and deleted functions for a while.
 * Bookkeeping only: it hands back what the caller must close or drain, so {@link InstancePool} does
 * all closing and counting.
 */
final class PoolDirectory {
    private static final long TOMBSTONE_NANOS = TimeUnit.MINUTES.toNanos(10);

    private final Map<FunctionName, FunctionPools> functions = new ConcurrentHashMap<>();

    /** Deleted functions, and when: late invocations of them get instances that are not kept. */
    private final Map<FunctionName, Long> retired = new ConcurrentHashMap<>();

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

    /** A pool, and the idle instances its new size leaves over (the caller closes them). */
    record Found(VersionPool pool, List<GuestInstance> excess) {}

    /** The new active pool, its excess, and the function's other pools (the caller drains them). */
    record Activated(VersionPool pool, List<GuestInstance> excess, List<VersionPool> old) {}

    /**
     * The pool for {@code spec}, created if needed (a draining one, keeping nothing, for a deleted
     * function or a left-behind identity). A function's first pool becomes its active one if {@code
     * activateIfFirst}.
     */
    Found poolFor(PoolSpec spec, Supplier<byte[]> wasm, boolean activateIfFirst) {
        if (retired.containsKey(spec.function())) {
            // a late invocation of a deleted function
            return new Found(new VersionPool(spec, wasm, true), List.of());
        }
        FunctionPools fp = functions.computeIfAbsent(spec.function(), k -> new FunctionPools());
        Identity id = Identity.of(spec);
        synchronized (fp) {
            VersionPool pool = fp.pools.get(id);
            if (pool != null) {
                return new Found(pool, pool.resize(spec));
            }
            if (fp.retired.contains(id)) {
                // a late invocation of old code
                return new Found(new VersionPool(spec, wasm, true), List.of());
            }
            pool = new VersionPool(spec, wasm, false);
            fp.pools.put(id, pool);
            if (fp.active == null && activateIfFirst) {
                fp.active = id;
            }
            return new Found(pool, List.of());
        }
    }

    /**
     * Makes {@code spec}'s pool the function's active one (the newest version's); the pools of the
     * versions in {@code alsoServing} (taken by aliases, docs/adr/0037) stay, without a minimum of
     * their own, and every other pool is left behind.
     */
    Activated activate(PoolSpec spec, Supplier<byte[]> wasm, Set<Integer> alsoServing) {
        retired.remove(spec.function());
        FunctionPools fp = functions.computeIfAbsent(spec.function(), k -> new FunctionPools());
        Identity id = Identity.of(spec);
        List<VersionPool> old = new ArrayList<>();
        List<GuestInstance> excess = new ArrayList<>();
        synchronized (fp) {
            leaveBehindAllBut(fp, id, spec.isolation(), alsoServing, old, excess);
            fp.retired.remove(id);
            fp.active = id;
            VersionPool pool = fp.pools.get(id);
            if (pool == null) {
                pool = new VersionPool(spec, wasm, false);
                fp.pools.put(id, pool);
            }
            excess.addAll(pool.resize(spec));
            return new Activated(pool, excess, old);
        }
    }

    /**
     * Keeps only the pools of {@code serving} versions (those with {@code isolation}) besides the
     * active one, after an alias changed: the others are left behind (the caller drains them).
     * Versions coming back into service are no longer left behind.
     */
    Activated serveOnly(FunctionName function, Set<Integer> serving, Isolation isolation) {
        FunctionPools fp = functions.get(function);
        if (fp == null) {
            return new Activated(null, List.of(), List.of());
        }
        List<VersionPool> old = new ArrayList<>();
        List<GuestInstance> excess = new ArrayList<>();
        synchronized (fp) {
            leaveBehindAllBut(fp, fp.active, isolation, serving, old, excess);
            return new Activated(null, excess, old);
        }
    }

    private static void leaveBehindAllBut(
            FunctionPools fp,
            Identity active,
            Isolation isolation,
            Set<Integer> serving,
            List<VersionPool> old,
            List<GuestInstance> excess) {
        fp.retired.removeIf(r -> r.isolation() == isolation && serving.contains(r.version()));
        for (var it = fp.pools.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            Identity k = e.getKey();
            if (k.equals(active)) {
                continue;
            }
            VersionPool p = e.getValue();
            if (k.isolation() == isolation && serving.contains(k.version()) && p != null) {
                // Serving through an alias: kept, filled by its own traffic only.
                PoolSpec s = p.spec();
                excess.addAll(
                        p.resize(
                                new PoolSpec(
                                        s.function(),
                                        s.key(),
                                        s.isolation(),
                                        0,
                                        s.maxInstances(),
                                        s.version())));
                continue;
            }
            if (p != null) {
                old.add(p);
            }
            fp.retired.add(k);
            it.remove();
        }
    }

    /** Forgets that {@code function} was deleted (it is being created again). */
    void unretire(FunctionName function) {
        retired.remove(function);
    }

    /** Removes {@code spec}'s pool unless it is the function's active one; null if none. */
    VersionPool discardStaged(PoolSpec spec) {
        FunctionPools fp = functions.get(spec.function());
        if (fp == null) {
            return null;
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
        return staged;
    }

    /** Marks {@code function} deleted and removes its pools (the caller drains them). */
    List<VersionPool> retire(FunctionName function) {
        retired.put(function, System.nanoTime());
        FunctionPools fp = functions.remove(function);
        if (fp == null) {
            return List.of();
        }
        synchronized (fp) {
            List<VersionPool> pools = new ArrayList<>(fp.pools.values());
            fp.pools.clear();
            return pools;
        }
    }

    /** Removes every function's pools (the caller drains them): at shutdown. */
    List<VersionPool> removeAll() {
        List<VersionPool> out = new ArrayList<>();
        for (FunctionName f : new ArrayList<>(functions.keySet())) {
            FunctionPools fp = functions.remove(f);
            if (fp != null) {
                synchronized (fp) {
                    out.addAll(fp.pools.values());
                }
            }
        }
        return out;
    }

    /** Every pool now, copied function by function (to work on without holding their locks). */
    List<VersionPool> pools() {
        List<VersionPool> out = new ArrayList<>();
        for (FunctionPools fp : functions.values()) {
            synchronized (fp) {
                out.addAll(fp.pools.values());
            }
        }
        return out;
    }

    /** Calls {@code action} on every pool, each while its function's pools cannot change. */
    void forEachPool(Consumer<VersionPool> action) {
        for (FunctionPools fp : functions.values()) {
            synchronized (fp) {
                fp.pools.values().forEach(action);
            }
        }
    }

    /** Instance counts of a function's pools. */
    InstancePool.Stats stats(FunctionName function) {
        FunctionPools fp = functions.get(function);
        return fp == null ? new InstancePool.Stats(0, 0, 0) : stats(fp);
    }

    /** Calls {@code action} with the instance counts of every function's pools. */
    void forEachFunction(BiConsumer<FunctionName, InstancePool.Stats> action) {
        for (var e : functions.entrySet()) {
            action.accept(e.getKey(), stats(e.getValue()));
        }
    }

    private static InstancePool.Stats stats(FunctionPools fp) {
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
        return new InstancePool.Stats(idle, leased, live);
    }

    /** Forgets deletions older than ten minutes. */
    void forgetOldDeletions(long nowNanos) {
        retired.values().removeIf(t -> nowNanos - t > TOMBSTONE_NANOS);
    }
}
