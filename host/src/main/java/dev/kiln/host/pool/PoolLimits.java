package dev.kiln.host.pool;

import java.time.Duration;
import java.util.Objects;

/**
 * Host-wide bounds on instances.
 *
 * @param maxInstances instances alive at once across all functions (idle and busy)
 * @param idleTtl an idle instance beyond its function's minInstances is closed after this long
 */
public record PoolLimits(int maxInstances, Duration idleTtl) {
    public static final PoolLimits DEFAULTS = new PoolLimits(4096, Duration.ofMinutes(5));

    public PoolLimits {
        Objects.requireNonNull(idleTtl, "idleTtl");
        if (maxInstances < 1) {
            throw new IllegalArgumentException("maxInstances must be positive");
        }
        if (idleTtl.isNegative() || idleTtl.isZero()) {
            throw new IllegalArgumentException("idleTtl must be positive");
        }
    }
}
