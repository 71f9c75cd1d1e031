package dev.kiln.host.pool;

import dev.kiln.host.core.FunctionName;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * The host-wide count of live instances against {@link PoolLimits#maxInstances()}: a slot is taken
 * before an instance is created and given back when it closes.
 */
final class HostInstanceLimit {
    private final AtomicInteger live = new AtomicInteger();
    private final int max;

    HostInstanceLimit(int max) {
        this.max = max;
    }

    /**
     * Takes a slot; at the limit, asks {@code evictOne} to close an idle instance somewhere and
     * tries again.
     *
     * @param evictOne closes one idle instance (or finds one gone meanwhile); false when there is
     *     none to close
     * @throws InstanceLimitException when the host is at its limit and nothing can be evicted
     */
    void reserve(FunctionName forFunction, BooleanSupplier evictOne) {
        while (true) {
            int now = live.get();
            if (now < max) {
                if (live.compareAndSet(now, now + 1)) {
                    return;
                }
                continue;
            }
            if (!evictOne.getAsBoolean()) {
                throw new InstanceLimitException(
                        "the host is at its limit of "
                                + max
                                + " instances"
                                + (forFunction == null ? "" : " (wanted by " + forFunction + ")"),
                        false);
            }
        }
    }

    /** Gives a slot back: its instance closed, or was never created. */
    void release() {
        live.decrementAndGet();
    }

    /** Instances alive (or being created) on the host. */
    int live() {
        return live.get();
    }
}
