package dev.kiln.host.pool;

import dev.kiln.host.core.FunctionName;
import dev.kiln.host.registry.FunctionInfo;
import dev.kiln.host.sandbox.ModuleLimits;

/**
 * Which pool an invocation takes its instance from, and how that pool is sized. A function has one
 * active pool; a new version, handler, memory cap or isolation makes a new one and the old drains.
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

    /** Whether instances of {@code other}'s pool would be interchangeable with this one's. */
    boolean sameInstancesAs(PoolSpec other) {
        return function.equals(other.function)
                && key.equals(other.key)
                && isolation == other.isolation
                && version == other.version;
    }
}
