package dev.kiln.host.http;

import static dev.kiln.host.testing.TestHost.errorCode;
import static dev.kiln.host.testing.TestHost.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET …/stats}: per-step counts, errors, percentiles, fuel, start kinds (ADR 0043). */
class FunctionStatsTest {
    private static final String STATS = "/api/v1/services/s/functions/log/stats";

    /** What the test sent, to compare with what the stats say. */
    private static final class Sent {
        long count;
        long fuel;
        final Map<String, Long> errors = new TreeMap<>();
    }

    @Test
    void statsCountEveryInvocationMergeStepsAndSurviveARestart(@TempDir Path data) {
        Instant from = Instant.now().truncatedTo(ChronoUnit.MINUTES).minus(5, ChronoUnit.MINUTES);
        String range = "?from=" + from + "&to=" + from.plus(10, ChronoUnit.MINUTES);
        Sent sent = new Sent();
        JsonNode before;
        try (TestHost kiln = TestHost.start(data)) {
            assertThat(kiln.deploy("s", "log", Wat.fixture("logger")).statusCode()).isEqualTo(201);
            for (int i = 0; i < 30; i++) {
                var r = kiln.invoke("s", "log", i % 6 == 5 ? "xfail " + i : "1line " + i);
                sent.count++;
                sent.fuel += Long.parseLong(r.headers().firstValue("X-Kiln-Fuel").orElseThrow());
                if (r.statusCode() != 200) {
                    sent.errors.merge(errorCode(r), 1L, Long::sum);
                }
            }
            kiln.host().flushRecords();
            before = stats(kiln, range + "&step=60");
            assertTotals(before, sent);
            JsonNode point = busiest(before);
            var latency = point.path("latencyMs");
            assertThat(latency.path("p50").asDouble()).isPositive();
            assertThat(latency.path("p50").asDouble())
                    .isLessThanOrEqualTo(latency.path("p90").asDouble());
            assertThat(latency.path("p90").asDouble())
                    .isLessThanOrEqualTo(latency.path("p99").asDouble());
            assertThat(latency.path("p99").asDouble())
                    .isLessThanOrEqualTo(latency.path("max").asDouble() * 1.01);
            assertThat(point.path("fuel").path("max").asLong()).isPositive();
            // A coarser step merges the minutes' histograms: same totals, fewer points.
            JsonNode coarse = stats(kiln, range + "&step=1h");
            assertTotals(coarse, sent);
            assertThat(coarse.path("stepSeconds").asLong()).isEqualTo(3600);
            assertThat(coarse.path("points").size()).isLessThanOrEqualTo(2);
        }
        // The open minutes were written at close: a new host on the same directory has them.
        try (TestHost kiln = TestHost.start(data)) {
            JsonNode after = stats(kiln, range + "&step=60");
            assertTotals(after, sent);
            assertThat(after.path("points")).isEqualTo(before.path("points"));
        }
    }

    @Test
    void badQueriesAreRefusedAndKeysSeeOnlyTheirServices(@TempDir Path data) {
        try (TestHost kiln = TestHost.start(data)) {
            assertThat(kiln.deploy("s", "log", Wat.fixture("logger")).statusCode()).isEqualTo(201);
            assertThat(errorCode(kiln.get(STATS + "?step=90"))).isEqualTo("bad_request");
            assertThat(errorCode(kiln.get(STATS + "?step=0"))).isEqualTo("bad_request");
            assertThat(errorCode(kiln.get(STATS + "?step=1m&from=2020-01-01T00:00:00Z")))
                    .isEqualTo("bad_request"); // far more than 1440 points
            assertThat(errorCode(kiln.get(STATS + "?from=" + Instant.now().plusSeconds(7200))))
                    .isEqualTo("bad_request");
            assertThat(errorCode(kiln.get("/api/v1/services/s/functions/none/stats")))
                    .isEqualTo("function_not_found");
            String other = kiln.createKey("other", "viewer", java.util.List.of("t"));
            var forbidden = kiln.send(kiln.as(other, STATS).GET().build());
            assertThat(forbidden.statusCode()).isEqualTo(403);
            String mine = kiln.createKey("mine", "viewer", java.util.List.of("s"));
            var allowed = kiln.send(kiln.as(mine, STATS).GET().build());
            assertThat(allowed.statusCode()).isEqualTo(200);
            // Empty steps are there, with nothing in them: 60 points for the default hour.
            JsonNode body = json(allowed);
            assertThat(body.path("points").size()).isBetween(60, 61);
            assertThat(body.path("points").get(0).path("count").asLong()).isZero();
            assertThat(body.path("points").get(0).path("latencyMs").isNull()).isTrue();
            assertThat(kiln.invoke("s", "log", "1still serving").statusCode()).isEqualTo(200);
        }
    }

    private static JsonNode stats(TestHost kiln, String query) {
        var r = kiln.send(kiln.admin(STATS + query).GET().build());
        assertThat(r.statusCode()).as(TestHost.text(r)).isEqualTo(200);
        return json(r);
    }

    private static void assertTotals(JsonNode stats, Sent sent) {
        long count = 0;
        long fuel = 0;
        long starts = 0;
        Map<String, Long> errors = new TreeMap<>();
        for (JsonNode p : stats.path("points")) {
            count += p.path("count").asLong();
            fuel += p.path("fuel").path("sum").asLong();
            for (var e : p.path("errors").properties()) {
                errors.merge(e.getKey(), e.getValue().asLong(), Long::sum);
            }
            for (var e : p.path("starts").properties()) {
                starts += e.getValue().asLong();
            }
        }
        assertThat(count).isEqualTo(sent.count);
        assertThat(fuel).isEqualTo(sent.fuel);
        assertThat(errors).isEqualTo(sent.errors);
        assertThat(starts).isEqualTo(sent.count);
    }

    private static JsonNode busiest(JsonNode stats) {
        JsonNode best = null;
        for (JsonNode p : stats.path("points")) {
            if (best == null || p.path("count").asLong() > best.path("count").asLong()) {
                best = p;
            }
        }
        return best;
    }
}
