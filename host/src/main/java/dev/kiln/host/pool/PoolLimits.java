package dev.kiln.host.pool;

import java.time.Duration;
import java.util.Objects;

/**
 * Host-wide bounds on instances.
 *
 * @param maxInstances instances alive at once across all functions (idle and busy)
 * @param idleTtl an idle instance beyond its function's minInstances is closed after this long
 * @param memoryBudgetBytes heap the host's snapshots, instances, compiled code and request buffers
 *     may hold together ({@link MemoryBudget})
 */
public record PoolLimits(int maxInstances, Duration idleTtl, long memoryBudgetBytes) {
    public static final PoolLimits DEFAULTS =
            new PoolLimits(4096, Duration.ofMinutes(5), defaultMemoryBudgetBytes());

    /** Share of the JVM's maximum heap the memory budget takes by default, in percent. */
    public static final int DEFAULT_MEMORY_BUDGET_PERCENT = 55;

    public PoolLimits {
        Objects.requireNonNull(idleTtl, "idleTtl");
        if (maxInstances < 1) {
            throw new IllegalArgumentException("maxInstances must be positive");
        }
        if (idleTtl.isNegative() || idleTtl.isZero()) {
            throw new IllegalArgumentException("idleTtl must be positive");
        }
        if (memoryBudgetBytes <= 0) {
            throw new IllegalArgumentException("memoryBudgetBytes must be positive");
        }
    }

    /** Limits with the default memory budget. */
    public PoolLimits(int maxInstances, Duration idleTtl) {
        this(maxInstances, idleTtl, defaultMemoryBudgetBytes());
    }

    /**
     * {@value #DEFAULT_MEMORY_BUDGET_PERCENT} % of the JVM's maximum heap: the rest is left for
     * what the budget does not count (in-flight invocations' memory growth, Undertow, SQLite,
     * records, the garbage collector's headroom).
     */
    public static long defaultMemoryBudgetBytes() {
        return Runtime.getRuntime().maxMemory() / 100 * DEFAULT_MEMORY_BUDGET_PERCENT;
    }
}
