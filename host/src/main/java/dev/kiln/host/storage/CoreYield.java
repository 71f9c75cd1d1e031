package dev.kiln.host.storage;

import java.util.function.LongSupplier;

/**
 * Gives up the thread's core now and then during a long stretch of background work (a batch of
 * records encoded and committed, a trim), so that a request thread waiting for a core gets one
 * within about {@link #INTERVAL_NANOS} rather than after the whole stretch (docs/adr/0072). One per
 * stretch, used by the thread doing it.
 */
// Thread.yield is the point here: on Linux it is sched_yield, which lets whatever else is runnable
// on this core run first and returns at once when nothing is. Error Prone warns of relying on the
// scheduler; nothing relies on it for correctness, only for latency.
@SuppressWarnings("ThreadPriorityCheck")
public final class CoreYield {
    /**
     * Work between yields: a request's turn on a core is 10–20 µs, so this bounds the wait of one
     * queued behind background work to a few of those, at one yield (well under a microsecond when
     * nothing waits) per 50 µs of work.
     */
    public static final long INTERVAL_NANOS = 50_000;

    /**
     * Steps between two looks at the clock. A step is one record encoded, decoded or counted (0.1–1
     * µs); reading the clock at each was half of this class's cost in the record writer, and a
     * yield up to this many steps late is still well within the interval.
     */
    static final int STEPS_PER_LOOK = 8;

    private final LongSupplier clock;
    private final Runnable yielder;
    private long since;
    private int steps;

    /**
     * A stretch of work that starts now, on the system's clock, yielding with {@link Thread#yield}.
     */
    public CoreYield() {
        this(System::nanoTime, Thread::yield);
    }

    CoreYield(LongSupplier clock, Runnable yielder) {
        this.clock = clock;
        this.yielder = yielder;
        this.since = clock.getAsLong();
    }

    /**
     * Yields when the work since the last yield (or the start) has taken the interval or more,
     * looking at the clock every {@link #STEPS_PER_LOOK} steps.
     */
    public void step() {
        if (++steps < STEPS_PER_LOOK) {
            return;
        }
        steps = 0;
        long now = clock.getAsLong();
        if (now - since >= INTERVAL_NANOS) {
            yielder.run();
            since = clock.getAsLong();
        }
    }

    /** Yields now: between two steps of a background loop that each take a while. */
    public static void now() {
        Thread.yield();
    }
}
