package dev.kiln.host.invoke;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Interrupts the thread running a guest when its deadline passes. The state machine makes sure an
 * interrupt can only land while the guest runs, never on the next task of the same thread.
 */
final class DeadlineGuard implements AutoCloseable {
    private static final int RUNNING = 0;
    private static final int FINISHED = 1;
    private static final int FIRING = 2;
    private static final int FIRED = 3;

    private final AtomicInteger state = new AtomicInteger(RUNNING);
    private final Thread thread = Thread.currentThread();
    private final ScheduledFuture<?> timer;

    DeadlineGuard(ScheduledExecutorService scheduler, long timeoutNanos) {
        this.timer = scheduler.schedule(this::fire, timeoutNanos, TimeUnit.NANOSECONDS);
    }

    private void fire() {
        if (state.compareAndSet(RUNNING, FIRING)) {
            thread.interrupt();
            state.set(FIRED);
        }
    }

    /** Runs {@code body} on this thread, interrupting it if it outlives {@code timeoutNanos}. */
    static <T> T call(
            ScheduledExecutorService scheduler,
            long timeoutNanos,
            java.util.function.Supplier<T> body) {
        DeadlineGuard guard = new DeadlineGuard(scheduler, timeoutNanos);
        try {
            return body.get();
        } finally {
            guard.close();
        }
    }

    /** Ends the guarded region and clears any interrupt the deadline delivered. */
    @Override
    public void close() {
        if (!state.compareAndSet(RUNNING, FINISHED)) {
            // The timer won: wait until its interrupt has landed, then clear it.
            while (state.get() != FIRED) {
                Thread.onSpinWait();
            }
            Thread.interrupted();
        }
        timer.cancel(false);
    }
}
