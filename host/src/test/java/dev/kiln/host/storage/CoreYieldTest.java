package dev.kiln.host.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** A stretch of work yields once per interval of work, counted from its start or last yield. */
class CoreYieldTest {
    private final AtomicLong clock = new AtomicLong(1_000_000);
    private final AtomicInteger yields = new AtomicInteger();
    private final CoreYield pace = new CoreYield(clock::get, yields::incrementAndGet);

    @Test
    void stepsWithinTheIntervalDoNotYield() {
        for (int i = 0; i < 49; i++) {
            clock.addAndGet(1_000);
            pace.step();
        }
        assertThat(yields).hasValue(0);
    }

    @Test
    void yieldsOncePerIntervalOfWork() {
        clock.addAndGet(CoreYield.INTERVAL_NANOS);
        pace.step();
        assertThat(yields).hasValue(1);
        pace.step(); // no time since the yield
        assertThat(yields).hasValue(1);
        for (int i = 0; i < 10; i++) {
            clock.addAndGet(CoreYield.INTERVAL_NANOS / 5);
            pace.step();
        }
        assertThat(yields).hasValue(3);
    }

    @Test
    void aLongStepYieldsOnceAndCountsAgainFromTheYield() {
        clock.addAndGet(10 * CoreYield.INTERVAL_NANOS);
        pace.step();
        assertThat(yields).hasValue(1);
        clock.addAndGet(CoreYield.INTERVAL_NANOS - 1);
        pace.step();
        assertThat(yields).hasValue(1);
        clock.addAndGet(1);
        pace.step();
        assertThat(yields).hasValue(2);
    }
}
