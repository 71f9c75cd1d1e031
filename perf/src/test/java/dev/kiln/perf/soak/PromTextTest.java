package dev.kiln.perf.soak;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class PromTextTest {
    private static final String BEFORE =
            """
            # HELP kiln_invocations_total Invocations that ran, by outcome.
            # TYPE kiln_invocations_total counter
            kiln_invocations_total{service="soak",function="echo",outcome="ok"} 10
            kiln_invocations_total{service="soak",function="crash",outcome="guest_trap"} 4
            kiln_invocations_waiting 0
            """;
    private static final String AFTER =
            """
            kiln_invocations_total{service="soak",function="echo",outcome="ok"} 25
            kiln_invocations_total{service="soak",function="echo",outcome="internal"} 1
            kiln_invocations_total{service="soak",function="crash",outcome="guest_trap"} 4
            kiln_invocations_total{service="other",function="echo",outcome="ok"} 99
            kiln_event_queue_depth{service="soak",function="sink"} 7
            kiln_invocations_waiting 2
            """;

    @Test
    void sumsAndIncreasesBySeriesLabels() {
        PromText before = PromText.parse(BEFORE);
        PromText after = PromText.parse(AFTER);
        Map<String, String> echo = Map.of("service", "soak", "function", "echo");
        assertThat(after.increaseBy(before, "kiln_invocations_total", echo, "outcome"))
                .containsExactly(Map.entry("ok", 15.0), Map.entry("internal", 1.0));
        // Nothing grew: nothing reported.
        assertThat(
                        after.increaseBy(
                                before,
                                "kiln_invocations_total",
                                Map.of("service", "soak", "function", "crash"),
                                "outcome"))
                .isEmpty();
        assertThat(after.sum("kiln_invocations_total", Map.of("function", "echo"))).isEqualTo(125);
        assertThat(after.sum("kiln_event_queue_depth", Map.of("function", "sink"))).isEqualTo(7);
        assertThat(after.sum("kiln_invocations_waiting", Map.of())).isEqualTo(2);
    }

    @Test
    void readsEscapedLabelValues() {
        PromText t = PromText.parse("m{a=\"x\\\"y\",b=\"z\"} 1.5\n");
        assertThat(t.series().get(0).labels()).containsEntry("a", "x\"y").containsEntry("b", "z");
        assertThat(t.series().get(0).value()).isEqualTo(1.5);
    }
}
