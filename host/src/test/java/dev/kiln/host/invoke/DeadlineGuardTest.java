package dev.kiln.host.invoke;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Deadlines interrupt the run they belong to, in time, and never anything after it. */
class DeadlineGuardTest {
    static final long MS = 1_000_000L;

    final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
    }

    /**
     * Spins until interrupted (as a guest's fuel-less loop would) and says how long after {@code
     * start} (taken before the guarded call, whose deadline counts from its entry: a thread
     * descheduled between the two would otherwise seem interrupted early).
     */
    static long spinUntilInterrupted(long start) {
        while (!Thread.currentThread().isInterrupted()) {
            if (System.nanoTime() - start > TimeUnit.SECONDS.toNanos(10)) {
                return -1;
            }
            Thread.onSpinWait();
        }
        return (System.nanoTime() - start) / MS;
    }

    /** A guarded spin of {@code timeoutNanos}: milliseconds from just before the call. */
    long guarded(long timeoutNanos) {
        long start = System.nanoTime();
        return DeadlineGuard.call(scheduler, timeoutNanos, () -> spinUntilInterrupted(start));
    }

    @Test
    void aRunPastItsDeadlineIsInterruptedAndTheFlagIsClearedAfter() {
        long took = guarded(50 * MS);
        assertThat(took).isBetween(50L, 2_000L);
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }

    @Test
    void aShorterDeadlineAfterManyLongerOnesIsStillKept() {
        // The slot's pending check is for a deadline 60 s away; the next run's is 50 ms away.
        for (int i = 0; i < 1000; i++) {
            assertThat(DeadlineGuard.call(scheduler, 60_000 * MS, () -> 1)).isEqualTo(1);
        }
        long took = guarded(50 * MS);
        assertThat(took).isBetween(50L, 2_000L);
    }

    @Test
    void aLongerDeadlineAfterAShorterOneIsNotCutShort() throws Exception {
        assertThat(DeadlineGuard.call(scheduler, 20 * MS, () -> 1)).isEqualTo(1);
        // The pending check is for 20 ms from the first run; this run has 300 ms.
        long took = guarded(300 * MS);
        assertThat(took).isBetween(300L, 3_000L);
    }

    @Test
    void aRunThatFinishedIsNeverInterruptedLater() throws Exception {
        for (int i = 0; i < 50; i++) {
            DeadlineGuard.call(scheduler, 5 * MS, () -> 1);
        }
        // Past every deadline above, outside any guarded run: sleeping must not be interrupted.
        Thread.sleep(100);
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }

    @Test
    void aNestedRunHasItsOwnDeadlineAndTheOuterKeepsIts() {
        long[] inner = {0};
        long outer =
                DeadlineGuard.call(
                        scheduler,
                        400 * MS,
                        () -> {
                            inner[0] = guarded(50 * MS);
                            return spinUntilInterrupted(System.nanoTime());
                        });
        assertThat(inner[0]).isBetween(50L, 2_000L);
        assertThat(outer).isPositive(); // the rest of the outer's 400 ms
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }

    @Test
    void manyThreadsEachGetTheirOwnDeadline() throws Exception {
        var pool = Executors.newFixedThreadPool(4);
        try {
            var results = new java.util.ArrayList<java.util.concurrent.Future<Long>>();
            for (int i = 0; i < 8; i++) {
                long timeout = (i % 2 == 0 ? 40 : 120) * MS;
                results.add(pool.submit(() -> guarded(timeout)));
            }
            for (int i = 0; i < results.size(); i++) {
                long took = results.get(i).get(30, TimeUnit.SECONDS);
                assertThat(took).as("run %d", i).isBetween(i % 2 == 0 ? 40L : 120L, 5_000L);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
