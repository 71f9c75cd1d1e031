package dev.kiln.host.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Prometheus text format: families sorted, series sorted, labels escaped, names checked. */
class MetricsTest {
    @Test
    void countersAndGaugesInTheTextFormat() {
        Metrics m = new Metrics();
        var calls = m.counter("kiln_calls_total", "Calls, by\nkind.", "fn", "kind");
        var level = m.gauge("kiln_level", "A level.");
        m.gauge(
                "kiln_computed",
                "Computed \\ on scrape.",
                List.of("fn"),
                sink -> {
                    sink.add(2, "b");
                    sink.add(1.5, "a");
                });
        calls.inc("z", "pool");
        calls.add(3, "a", "cold");
        calls.bind("a", "cold").increment();
        level.set(7);
        level.add(-2.5);
        assertThat(m.scrape())
                .isEqualTo(
                        """
                        # HELP kiln_calls_total Calls, by\\nkind.
                        # TYPE kiln_calls_total counter
                        kiln_calls_total{fn="a",kind="cold"} 4
                        kiln_calls_total{fn="z",kind="pool"} 1
                        # HELP kiln_computed Computed \\\\ on scrape.
                        # TYPE kiln_computed gauge
                        kiln_computed{fn="a"} 1.5
                        kiln_computed{fn="b"} 2
                        # HELP kiln_level A level.
                        # TYPE kiln_level gauge
                        kiln_level 4.5
                        """);
        assertThat(calls.value("a", "cold")).isEqualTo(4);
    }

    /** Lookups wrap the caller's array; a series must keep its own copy of the values. */
    @Test
    void aCallerReusingItsLabelArrayDoesNotMoveASeries() {
        Metrics m = new Metrics();
        var calls = m.counter("kiln_calls_total", "Calls.", "fn", "kind");
        var gauge = m.gauge("kiln_level", "Level.", "fn");
        String[] labels = {"a", "cold"};
        calls.inc(labels);
        String[] one = {"a"};
        gauge.set(3, one);
        labels[0] = "b";
        one[0] = "b";
        calls.inc(labels);
        calls.inc(labels);
        gauge.set(5, one);
        assertThat(calls.value("a", "cold")).isEqualTo(1);
        assertThat(calls.value("b", "cold")).isEqualTo(2);
        assertThat(gauge.value("a")).isEqualTo(3);
        assertThat(m.scrape())
                .contains("kiln_calls_total{fn=\"a\",kind=\"cold\"} 1\n")
                .contains("kiln_calls_total{fn=\"b\",kind=\"cold\"} 2\n")
                .contains("kiln_level{fn=\"a\"} 3\n")
                .contains("kiln_level{fn=\"b\"} 5\n");
    }

    @Test
    void histogramsWriteCumulativeBucketsSumAndCount() {
        Metrics m = new Metrics();
        var h = m.histogram("kiln_took_seconds", "Took.", new double[] {0.25, 1, 2.5}, "fn");
        var a = h.bind("a");
        a.observe(0.25); // on a bound: that bucket (le is inclusive)
        a.observe(0.5);
        a.observe(3);
        h.bind("b");
        assertThat(m.scrape())
                .isEqualTo(
                        """
                        # HELP kiln_took_seconds Took.
                        # TYPE kiln_took_seconds histogram
                        kiln_took_seconds_bucket{fn="a",le="0.25"} 1
                        kiln_took_seconds_bucket{fn="a",le="1"} 2
                        kiln_took_seconds_bucket{fn="a",le="2.5"} 2
                        kiln_took_seconds_bucket{fn="a",le="+Inf"} 3
                        kiln_took_seconds_sum{fn="a"} 3.75
                        kiln_took_seconds_count{fn="a"} 3
                        kiln_took_seconds_bucket{fn="b",le="0.25"} 0
                        kiln_took_seconds_bucket{fn="b",le="1"} 0
                        kiln_took_seconds_bucket{fn="b",le="2.5"} 0
                        kiln_took_seconds_bucket{fn="b",le="+Inf"} 0
                        kiln_took_seconds_sum{fn="b"} 0
                        kiln_took_seconds_count{fn="b"} 0
                        """);
        h.removeWhere(Map.of("fn", "a"));
        assertThat(m.scrape()).doesNotContain("fn=\"a\"");
        assertThatThrownBy(() -> m.histogram("kiln_x", "x", new double[] {2, 1}))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> m.histogram("kiln_y", "y", new double[] {1}, "le"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void computedCountersAreTypedAsCounters() {
        Metrics m = new Metrics();
        long[] kept = {3};
        m.counter(
                "kiln_kept_total",
                "Kept elsewhere.",
                List.of("fn", "result"),
                sink -> sink.add((double) kept[0], "a", "ok"));
        assertThat(m.scrape())
                .isEqualTo(
                        """
                        # HELP kiln_kept_total Kept elsewhere.
                        # TYPE kiln_kept_total counter
                        kiln_kept_total{fn="a",result="ok"} 3
                        """);
        kept[0] = 5;
        assertThat(m.scrape()).contains("kiln_kept_total{fn=\"a\",result=\"ok\"} 5");
        assertThatThrownBy(() -> m.counter("kiln_kept_total", "again", List.of(), sink -> {}))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void labelValuesFromUsersAreEscaped() {
        Metrics m = new Metrics();
        var c = m.counter("kiln_x_total", "x", "fn");
        c.inc("a\"b\\c\nd");
        assertThat(m.scrape()).contains("kiln_x_total{fn=\"a\\\"b\\\\c\\nd\"} 1");
        c.removeWhere(Map.of("fn", "a\"b\\c\nd"));
        assertThat(m.scrape()).doesNotContain("kiln_x_total{");
    }

    @Test
    void badNamesAndMisuseAreRefused() {
        Metrics m = new Metrics();
        assertThatThrownBy(() -> m.counter("kiln-bad", "x"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> m.gauge("kiln_ok", "x", "__reserved"))
                .isInstanceOf(IllegalArgumentException.class);
        var c = m.counter("kiln_ok_total", "x", "fn");
        assertThatThrownBy(() -> m.counter("kiln_ok_total", "again"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> c.inc("a", "b")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> c.add(-1, "a")).isInstanceOf(IllegalArgumentException.class);
    }
}
