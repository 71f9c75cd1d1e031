package dev.kiln.host.invoke;

import dev.kiln.host.core.FunctionName;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Per-function caps on invocations running at once (the smaller of maxConcurrency and
 * maxInstances). An invocation over the cap waits in the function's bounded queue until a running
 * one finishes or its queue deadline passes; then, or when the queue is full, it is refused.
 */
final class ConcurrencyLimits {
    private final Map<FunctionName, Gate> gates = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer;
    private final int queueLength;

    ConcurrencyLimits(ScheduledExecutorService timer, int queueLength) {
        this.timer = timer;
        this.queueLength = queueLength;
    }

    /** Why an invocation was not admitted. */
    enum Refusal {
        QUEUE_FULL,
        QUEUE_TIMEOUT
    }

    /**
     * The gate of {@code function} under {@code limit}, or null when the function has no limit of
     * its own (0). An admitted invocation calls {@link Gate#exit} when it is done.
     */
    Gate gate(FunctionName function, int limit) {
        if (limit <= 0) {
            gates.remove(function);
            return null;
        }
        return gates.computeIfAbsent(function, k -> new Gate());
    }

    /**
     * Drops a deleted function's gate. Invocations already admitted or waiting hold the gate itself
     * and finish on it; a function created again under the name starts with a new one.
     */
    void forget(FunctionName function) {
        gates.remove(function);
    }

    /** The functions that have a gate (for tests: a deleted function must leave none behind). */
    java.util.Set<FunctionName> gated() {
        return java.util.Set.copyOf(gates.keySet());
    }

    /** Invocations waiting at any function's limit. */
    int waiting() {
        int n = 0;
        for (Gate g : gates.values()) {
            n += g.waitingCount();
        }
        return n;
    }

    /** One function's running count and waiting line. */
    final class Gate {
        private int limit;
        private int running;
        private final ArrayDeque<Waiter> waiting = new ArrayDeque<>();

        private static final class Waiter {
            final Runnable start;
            final Consumer<Refusal> refuse;
            ScheduledFuture<?> timeout;

            Waiter(Runnable start, Consumer<Refusal> refuse) {
                this.start = start;
                this.refuse = refuse;
            }
        }

        /**
         * Admits an invocation under {@code newLimit}: calls {@code start} now or once a slot frees
         * (from the thread that freed it), or {@code refuse} when the queue is full or the deadline
         * passes first.
         */
        void enter(int newLimit, long deadlineNanos, Runnable start, Consumer<Refusal> refuse) {
            Refusal refused = null;
            boolean runNow = false;
            List<Waiter> promoted = new ArrayList<>();
            synchronized (this) {
                limit = newLimit;
                while (running < limit && !waiting.isEmpty()) { // the limit was raised
                    promoted.add(waiting.pollFirst());
                    running++;
                }
                if (running < limit) {
                    running++;
                    runNow = true;
                } else if (waiting.size() >= queueLength) {
                    refused = Refusal.QUEUE_FULL;
                } else {
                    long delay = deadlineNanos - System.nanoTime();
                    if (delay <= 0) {
                        refused = Refusal.QUEUE_TIMEOUT;
                    } else {
                        Waiter w = new Waiter(start, refuse);
                        waiting.addLast(w);
                        w.timeout = timer.schedule(() -> expire(w), delay, TimeUnit.NANOSECONDS);
                    }
                }
            }
            for (Waiter w : promoted) {
                w.timeout.cancel(false);
                w.start.run();
            }
            if (runNow) {
                start.run();
            } else if (refused != null) {
                refuse.accept(refused);
            }
        }

        private void expire(Waiter w) {
            boolean removed;
            synchronized (this) {
                removed = waiting.remove(w);
            }
            if (removed) {
                w.refuse.accept(Refusal.QUEUE_TIMEOUT);
            }
        }

        /** Frees the slot of a finished invocation, handing it to the next waiter if any. */
        void exit() {
            Waiter next;
            synchronized (this) {
                next = running <= limit ? waiting.pollFirst() : null;
                if (next == null) {
                    running--;
                }
            }
            if (next != null) {
                next.timeout.cancel(false);
                next.start.run();
            }
        }

        private synchronized int waitingCount() {
            return waiting.size();
        }
    }
}
