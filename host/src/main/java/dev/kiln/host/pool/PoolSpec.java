package dev.kiln.host.pool;

import dev.kiln.host.core.FunctionName;
import dev.kiln.host.registry.FunctionInfo;
import dev.kiln.host.registry.FunctionSettings;
import dev.kiln.host.registry.VersionInfo;
import dev.kiln.host.sandbox.ModuleLimits;

/**
 * Which pool an invocation takes its instance from, and how that pool is sized. A function has one
 * active pool (its newest version's) and one per version an alias sends traffic to; a new version
 * or isolation makes a new one and a pool no traffic reaches drains (ADR 0037).
 *
 * @param function the function it serves
 * @param key the compiled code its instances come from
 * @param minInstances instances kept ready whether or not invocations come (provisioned)
 * @param maxInstances most instances alive at once; 0 means only the host-wide limit applies
 * @param version the function version: its post-init state belongs to it alone, so a new version of
 *     the same bytes makes a new pool that runs {@code kiln_init} again (ADR 0028)
 */
public record PoolSpec(
        FunctionName function,
        VersionKey key,
        Isolation isolation,
        int minInstances,
        int maxInstances,
        int version) {

    /** A pool of no particular version (benchmarks, tests). */
    public PoolSpec(
            FunctionName function,
            VersionKey key,
            Isolation isolation,
            int minInstances,
            int maxInstances) {
        this(function, key, isolation, minInstances, maxInstances, 0);
    }

    /** The pool a stored function's invocations use now. */
    public static PoolSpec of(FunctionInfo f, ModuleLimits limits) {
        var s = f.settings();
        return new PoolSpec(
                new FunctionName(f.service(), f.name()),
                VersionKey.of(f.latest().sha256(), s, limits),
                Isolation.fromWire(s.isolation()).orElse(Isolation.FRESH),
                s.minInstances(),
                s.maxInstances(),
                f.latest().number());
    }

    /**
     * The pool that invocations of {@code version} of {@code function} use, with {@code settings}
     * (the version's code settings and the function's runtime settings). Only the newest version's
     * pool keeps minInstances; other versions' pools hold what their traffic needs (ADR 0037).
     */
    public static PoolSpec of(
            FunctionInfo function,
            VersionInfo version,
            FunctionSettings settings,
            ModuleLimits limits) {
        boolean newest = version.number() == function.latest().number();
        return new PoolSpec(
                new FunctionName(function.service(), function.name()),
                VersionKey.of(version.sha256(), settings, limits),
                Isolation.fromWire(settings.isolation()).orElse(Isolation.FRESH),
                newest ? settings.minInstances() : 0,
                settings.maxInstances(),
                version.number());
    }

    /** Whether instances of {@code other}'s pool would be interchangeable with this one's. */
    boolean sameInstancesAs(PoolSpec other) {
        return function.equals(other.function)
                && key.equals(other.key)
                && isolation == other.isolation
                && version == other.version;
    }
}
