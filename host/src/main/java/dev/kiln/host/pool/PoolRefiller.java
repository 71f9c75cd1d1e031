package dev.kiln.host.pool;

import dev.kiln.host.core.BackgroundLoops;
import dev.kiln.host.core.FunctionName;
import dev.kiln.host.sandbox.CompiledModule;
import dev.kiln.host.sandbox.GuestInstance;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps pools at their {@code minInstances}: creates instances on the pool's maintenance thread,
 * each counted against the host-wide limit, and stops at the first failure (the next sweep or
 * release tries again).
 */
final class PoolRefiller {
    private static final Logger log = LoggerFactory.getLogger(InstancePool.class);

    private final Executor maintenance;
    private final Consumer<FunctionName> reserveHostSlot;
    private final HostInstanceLimit hostLimit;
    private final InstanceMemory memory;
    private final PoolMetrics metrics;
    private final Function<VersionPool, CompiledModule> code;
    private final BiConsumer<GuestInstance, String> close;
    private final LongAdder refillFailures = new LongAdder();

    private volatile boolean stopped;

    /**
     * @param reserveHostSlot counts one more instance against the host-wide limit (may evict)
     * @param code the pool's compiled code, compiling it if needed
     * @param close closes an instance that is not kept, with the reason for the metrics
     */
    PoolRefiller(
            Executor maintenance,
            Consumer<FunctionName> reserveHostSlot,
            HostInstanceLimit hostLimit,
            InstanceMemory memory,
            PoolMetrics metrics,
            Function<VersionPool, CompiledModule> code,
            BiConsumer<GuestInstance, String> close) {
        this.maintenance = maintenance;
        this.reserveHostSlot = reserveHostSlot;
        this.hostLimit = hostLimit;
        this.memory = memory;
        this.metrics = metrics;
        this.code = code;
        this.close = close;
    }

    /** Stops refilling: the pool is shutting down. */
    void stop() {
        stopped = true;
    }

    /** Queues one refill of {@code pool} on the maintenance thread, unless one is queued. */
    void schedule(VersionPool pool) {
        if (stopped || !pool.queueRefill()) {
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
        } catch (RejectedExecutionException e) {
            pool.refillDone(); // shutting down
        }
    }

    /** Creates instances until the pool holds its minimum; stops at the first failure. */
    void fill(VersionPool pool, String reason) {
        while (!stopped && pool.wantsRefill()) {
            if (!pool.reserveIdle()) {
                return;
            }
            try {
                reserveHostSlot.accept(pool.spec().function());
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
                                code.apply(pool), pool.initial(), pool.spec().function());
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
                close.accept(instance, "drained");
                memory.releaseStatesIfGone(pool);
                return;
            }
        }
    }
}
