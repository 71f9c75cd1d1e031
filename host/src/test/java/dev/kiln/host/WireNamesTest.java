package dev.kiln.host;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.InvocationOutcome;
import dev.kiln.host.core.TriggerKind;
import dev.kiln.host.events.DeadLetterReason;
import dev.kiln.host.invoke.OverloadReason;
import dev.kiln.host.pool.Isolation;
import dev.kiln.host.pool.StartKind;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The wire names of Kiln's enums are stored (SQLite), sent (JSON, headers) and used as metric
 * labels: each must read back as itself, unknown names must be refused, and the names themselves
 * are pinned here so that a rename fails a test instead of silently changing the wire.
 */
class WireNamesTest {

    /** Values a fromWire must refuse, whatever the enum. */
    private static final List<String> NOT_WIRE =
            Arrays.asList(null, "", " ", "unknown", "FRESH", "Cold", " http", "timer ", "ok\n");

    private static <E extends Enum<E>> void roundTrips(
            E[] values,
            Function<E, String> wire,
            Function<String, Optional<E>> fromWire,
            String... expected) {
        assertThat(Arrays.stream(values).map(wire)).containsExactly(expected);
        for (E e : values) {
            assertThat(fromWire.apply(wire.apply(e))).contains(e);
        }
        for (String s : NOT_WIRE) {
            assertThat(fromWire.apply(s)).as("fromWire(%s)", s).isEmpty();
        }
    }

    @Test
    void isolation() {
        roundTrips(Isolation.values(), Isolation::wire, Isolation::fromWire, "fresh", "reuse");
    }

    @Test
    void recordMode() {
        roundTrips(
                dev.kiln.host.replay.RecordMode.values(),
                dev.kiln.host.replay.RecordMode::wire,
                dev.kiln.host.replay.RecordMode::fromWire,
                "none",
                "failures",
                "all");
    }

    @Test
    void startKind() {
        roundTrips(
                StartKind.values(), StartKind::wire, StartKind::fromWire, "pool", "warm", "cold");
    }

    @Test
    void triggerKind() {
        roundTrips(
                TriggerKind.values(),
                TriggerKind::wire,
                TriggerKind::fromWire,
                "invoke",
                "http",
                "event",
                "timer");
    }

    @Test
    void deadLetterReason() {
        roundTrips(
                DeadLetterReason.values(),
                DeadLetterReason::wire,
                DeadLetterReason::fromWire,
                "retries_exhausted",
                "event_age_exceeded");
    }

    @Test
    void overloadReason() {
        roundTrips(
                OverloadReason.values(),
                OverloadReason::wire,
                OverloadReason::fromWire,
                "queue_full",
                "queue_timeout",
                "workers_busy",
                "instance_limit",
                "memory_budget");
    }

    @Test
    void invocationOutcomeIsOkOrTheFailuresErrorCode() {
        assertThat(new InvocationOutcome.Ok(200, List.of(), new byte[0]).wire()).isEqualTo("ok");
        assertThat(new InvocationOutcome.Trap("x").wire()).isEqualTo("guest_trap");
        assertThat(new InvocationOutcome.RateLimited("x", 3).wire()).isEqualTo("rate_limited");
        assertThat(InvocationOutcome.isWire("ok")).isTrue();
        for (ErrorCode c : ErrorCode.values()) {
            assertThat(InvocationOutcome.isWire(c.wire())).isTrue();
        }
        for (String s : NOT_WIRE) {
            assertThat(InvocationOutcome.isWire(s)).as("isWire(%s)", s).isFalse();
        }
    }
}
