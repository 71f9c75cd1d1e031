package dev.kiln.abi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HostWorkTest {
    /** A fuel global as the runtime keeps it. */
    static final class Tank implements HostWork.FuelTank {
        long value;

        Tank(long value) {
            this.value = value;
        }

        @Override
        public long get() {
            return value;
        }

        @Override
        public void set(long v) {
            value = v;
        }
    }

    @AfterEach
    void clearInterrupt() {
        Thread.interrupted();
    }

    @Test
    void chargesAFixedCostPerCallAndOneUnitPerEightBytesRoundedUp() {
        Tank tank = new Tank(10_000);
        HostWork work = new HostWork(tank, EffectLimits.DEFAULTS);
        work.enterCall();
        work.bytes(17);
        work.random(3);
        assertThat(tank.value)
                .isEqualTo(10_000 - HostWork.FUEL_PER_CALL - 3 - 3 * HostWork.FUEL_PER_RANDOM_BYTE);
        assertThat(work.bytes()).isEqualTo(20);
    }

    @Test
    void runningDryLeavesTheTankNegativeAndStopsBeforeTheWork() {
        Tank tank = new Tank(50);
        HostWork work = new HostWork(tank, EffectLimits.DEFAULTS);
        assertThatThrownBy(work::enterCall).isInstanceOf(HostFuelExhaustedException.class);
        assertThat(tank.value).isNegative();
    }

    @Test
    void theInvocationsByteCapEndsIt() {
        Tank tank = new Tank(Long.MAX_VALUE / 2);
        HostWork work = new HostWork(tank, EffectLimits.DEFAULTS.withHostBytes(100, 1000));
        work.bytes(999);
        assertThatThrownBy(() -> work.bytes(2))
                .isInstanceOf(HostWorkLimitException.class)
                .hasMessageContaining("more than 1000 bytes");
        assertThatThrownBy(() -> work.bytes(1)).isInstanceOf(HostWorkLimitException.class);
    }

    @Test
    void anInterruptedThreadIsPastItsDeadline() {
        HostWork work = new HostWork(new Tank(1_000_000), EffectLimits.DEFAULTS);
        Thread.currentThread().interrupt();
        assertThatThrownBy(work::enterCall).isInstanceOf(HostDeadlineException.class);
        assertThatThrownBy(() -> work.bytes(8)).isInstanceOf(HostDeadlineException.class);
        // The flag stays for whoever classifies the failure.
        assertThat(Thread.currentThread().isInterrupted()).isTrue();
    }

    @Test
    void kilnHostCallsChargeTheirBytesToTheTank() {
        Tank tank = new Tank(1_000_000);
        HostCalls calls = new HostCalls(tank);
        RecordingMemory memory = new RecordingMemory(65536);
        calls.begin(HostCallsTest.httpContext(), EffectLimits.DEFAULTS);
        calls.call(HostCall.RANDOM_FILL, memory, new long[] {0, 1000});
        assertThat(tank.value)
                .isEqualTo(
                        1_000_000 - HostWork.FUEL_PER_CALL - 1000 * HostWork.FUEL_PER_RANDOM_BYTE);
        long before = tank.value;
        calls.call(HostCall.LOG, memory, new long[] {1, 0, 800});
        assertThat(before - tank.value).isEqualTo(HostWork.FUEL_PER_CALL + 100);
        calls.end();
    }
}
