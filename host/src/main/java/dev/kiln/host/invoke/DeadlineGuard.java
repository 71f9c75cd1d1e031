package dev.kiln.host.invoke;

import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * Interrupts the thread running a guest when its deadline passes. The state machine of each run
 * makes sure an interrupt can only land while the guest runs, never on the next task of the same
 * thread.
 *
 * <p>Each thread that runs guests has one {@link Slot} and at most one check pending on the
 * scheduler, which fires at the deadline of the run in the slot and re-arms itself for the run
 * there then. A timer task per invocation woke the timer thread on every call (its queue was empty,
 * so each new task became its head) and took ~3 % of the host's CPU under load.
 */
final class DeadlineGuard {
    private static final int RUNNING = 0;
    private static final int FINISHED = 1;
    private static final int FIRING = 2;
    private static final int FIRED = 3;

    private static final ThreadLocal<Slot> SLOTS = new ThreadLocal<>();

    private DeadlineGuard() {}

    /** Runs {@code body} on this thread, interrupting it if it outlives {@code timeoutNanos}. */
    // A slot belongs to one scheduler (one host's); identity is the point.
    @SuppressWarnings("ReferenceEquality")
    static <T> T call(ScheduledExecutorService scheduler, long timeoutNanos, Supplier<T> body) {
        Slot slot = SLOTS.get();
        if (slot == null || slot.scheduler != scheduler) {
            slot = new Slot(scheduler);
            SLOTS.set(slot);
        }
        Run run = new Run(Thread.currentThread(), System.nanoTime() + timeoutNanos);
        if (!slot.current.compareAndSet(null, run)) {
            return nested(scheduler, timeoutNanos, run, body);
        }
        try {
            slot.watch(run);
            return body.get();
        } finally {
            run.close();
            slot.current.set(null);
        }
    }

    /** A guarded call inside another on the same thread: a timer task of its own. */
    private static <T> T nested(
            ScheduledExecutorService scheduler, long timeoutNanos, Run run, Supplier<T> body) {
        var timer = scheduler.schedule(run::fire, timeoutNanos, TimeUnit.NANOSECONDS);
        try {
            return body.get();
        } finally {
            run.close();
            timer.cancel(false);
        }
    }

    /** One guarded run: its thread, deadline ({@link System#nanoTime}) and interrupt state. */
    private static final class Run {
        final Thread thread;
        final long deadline;
        final AtomicInteger state = new AtomicInteger(RUNNING);

        Run(Thread thread, long deadline) {
            this.thread = thread;
            this.deadline = deadline;
        }

        void fire() {
            if (state.compareAndSet(RUNNING, FIRING)) {
                thread.interrupt();
                state.set(FIRED);
            }
        }

        /** Ends the run and clears any interrupt the deadline delivered. */
        void close() {
            if (!state.compareAndSet(RUNNING, FINISHED)) {
                // The check won: wait until its interrupt has landed, then clear it.
                while (state.get() != FIRED) {
                    Thread.onSpinWait();
                }
                Thread.interrupted();
            }
        }
    }

    /** A thread's run being watched, and the one check pending for it. */
    private static final class Slot {
        final ScheduledExecutorService scheduler;
        final AtomicReference<Run> current = new AtomicReference<>();
        private long pending; // guarded by this; the number of the check pending, 0 for none
        private long checks; // guarded by this; checks scheduled so far
        private long pendingAt; // guarded by this

        Slot(ScheduledExecutorService scheduler) {
            this.scheduler = scheduler;
        }

        /** Makes sure a check is pending no later than {@code run}'s deadline. */
        void watch(Run run) {
            synchronized (this) {
                if (pending == 0 || run.deadline - pendingAt < 0) {
                    schedule(run.deadline);
                }
            }
        }

        // Holds this. A check made stale by an earlier one only finds its number replaced.
        private void schedule(long at) {
            long number = ++checks;
            long delay = Math.max(0, at - System.nanoTime());
            try {
                // Nothing waits for the check; it cannot fail (fire only interrupts).
                Future<?> unused =
                        scheduler.schedule(() -> check(number), delay, TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException e) {
                pending = 0; // the host is closing; its guests are being stopped anyway
                throw e;
            }
            pending = number;
            pendingAt = at;
        }

        private void check(long number) {
            Run run = current.get();
            long now = System.nanoTime();
            if (run != null && now - run.deadline >= 0) {
                run.fire();
            }
            synchronized (this) {
                if (pending != number) {
                    return; // an earlier check took over
                }
                pending = 0;
                Run next = current.get();
                if (next != null && next.state.get() == RUNNING) {
                    schedule(next.deadline);
                }
            }
        }
    }
}
