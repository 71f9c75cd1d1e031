package dev.kiln.host.pool;

import dev.kiln.host.registry.FunctionInfo;
import dev.kiln.host.sandbox.ModuleLimits;

/**
 * Which pool an invocation takes its instance from, and how that pool is sized. A function has one
 * active pool; a new version, handler, memory cap or isolation makes a new one and the old drains.
 *
 * @param function {@code service/function}
 * @param key the compiled code its instances come from
 * @param minInstances instances kept ready whether or not invocations come (provisioned)
 * @param maxInstances most instances alive at once; 0 means only the host-wide limit applies
 */
public record PoolSpec(
        String function, VersionKey key, Isolation isolation, int minInstances, int maxInstances) {

    /** The pool a stored function's invocations use now. */
    public static PoolSpec of(FunctionInfo f, ModuleLimits limits) {
        var s = f.settings();
        return new PoolSpec(
                f.service() + "/" + f.name(),
                VersionKey.of(f.latest().sha256(), s, limits),
                Isolation.fromWire(s.isolation()).orElse(Isolation.FRESH),
                s.minInstances(),
                s.maxInstances());
    }

    /** Whether instances of {@code other}'s pool would be interchangeable with this one's. */
    boolean sameInstancesAs(PoolSpec other) {
        return function.equals(other.function)
                && key.equals(other.key)
                && isolation == other.isolation;
    }
}
