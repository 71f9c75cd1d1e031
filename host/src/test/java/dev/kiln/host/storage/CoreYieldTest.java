package dev.kiln.host.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A stretch of work yields once per interval of work, counted from its start or last yield, looking
 * at the clock every few steps.
 */
class CoreYieldTest {
    private final AtomicLong clock = new AtomicLong(1_000_000);
    private final AtomicInteger reads = new AtomicInteger();
    private final AtomicInteger yields = new AtomicInteger();
    private final CoreYield pace =
            new CoreYield(
                    () -> {
                        reads.incrementAndGet();
                        return clock.get();
                    },
                    yields::incrementAndGet);

    /** Work of {@code nanos} done in one look's worth of steps. */
    private void look(long nanos) {
        for (int i = 0; i < CoreYield.STEPS_PER_LOOK; i++) {
            clock.addAndGet(nanos / CoreYield.STEPS_PER_LOOK);
            pace.step();
        }
    }

    @Test
    void readsTheClockOncePerLookNotPerStep() {
        int before = reads.get();
        for (int i = 0; i < 10 * CoreYield.STEPS_PER_LOOK; i++) {
            pace.step();
        }
        assertThat(reads.get() - before).isEqualTo(10);
    }

    @Test
    void stepsWithinTheIntervalDoNotYield() {
        for (int i = 0; i < 49; i++) {
            look(1_000);
        }
        assertThat(yields).hasValue(0);
    }

    @Test
    void yieldsOncePerIntervalOfWork() {
        look(CoreYield.INTERVAL_NANOS);
        assertThat(yields).hasValue(1);
        look(0); // no time since the yield
        assertThat(yields).hasValue(1);
        for (int i = 0; i < 10; i++) {
            look(CoreYield.INTERVAL_NANOS / 5);
        }
        assertThat(yields).hasValue(3);
    }

    @Test
    void stepsBetweenLooksNeverYieldHoweverLongTheyTake() {
        for (int i = 1; i < CoreYield.STEPS_PER_LOOK; i++) {
            clock.addAndGet(10 * CoreYield.INTERVAL_NANOS);
            pace.step();
        }
        assertThat(yields).hasValue(0);
        pace.step();
        assertThat(yields).hasValue(1);
    }

    @Test
    void aLongLookYieldsOnceAndCountsAgainFromTheYield() {
        look(10 * CoreYield.INTERVAL_NANOS);
        assertThat(yields).hasValue(1);
        look(CoreYield.INTERVAL_NANOS - CoreYield.STEPS_PER_LOOK);
        assertThat(yields).hasValue(1);
        look(CoreYield.STEPS_PER_LOOK);
        assertThat(yields).hasValue(2);
    }
}
