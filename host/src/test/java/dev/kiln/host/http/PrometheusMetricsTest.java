package dev.kiln.host.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /metrics} of a real host: per-function latency histograms (one series per function,
 * dropped with the function), worker gauges, JVM and process metrics.
 */
class PrometheusMetricsTest {
    @Test
    void latencyHistogramsPerFunctionAndJvmMetrics(@TempDir Path data) {
        try (TestHost kiln = TestHost.start(data)) {
            assertThat(kiln.deploy("s", "log", Wat.fixture("logger")).statusCode()).isEqualTo(201);
            for (int i = 0; i < 5; i++) {
                kiln.invoke("s", "log", i == 4 ? "xfail" : "1ok");
            }
            kiln.host().flushRecords();
            String page = TestHost.text(kiln.get("/metrics"));
            String fn = "service=\"s\",function=\"log\"";
            assertThat(value(page, "kiln_invocation_duration_seconds_count{" + fn + "}"))
                    .isEqualTo(5);
            assertThat(
                            value(
                                    page,
                                    "kiln_invocation_duration_seconds_bucket{"
                                            + fn
                                            + ",le=\"+Inf\"}"))
                    .isEqualTo(5);
            assertThat(page)
                    .contains("kiln_invocation_duration_seconds_bucket{" + fn + ",le=\"0.0005\"}");
            assertThat(page).contains("# TYPE kiln_invocation_duration_seconds histogram");
            assertThat(value(page, "jvm_memory_bytes_used{area=\"heap\"}")).isPositive();
            assertThat(value(page, "jvm_threads_current")).isPositive();
            assertThat(page).contains("# TYPE process_cpu_seconds_total counter");
            assertThat(page).contains("kiln_workers_busy ", "kiln_workers_queued ");
            assertThat(value(page, "kiln_usage_invocations_total{" + fn + "}")).isEqualTo(5);
            assertThat(value(page, "kiln_usage_errors_total{" + fn + "}")).isEqualTo(1);

            assertThat(
                            kiln.send(
                                            kiln.admin("/api/v1/services/s/functions/log")
                                                    .DELETE()
                                                    .build())
                                    .statusCode())
                    .isEqualTo(204);
            String after = TestHost.text(kiln.get("/metrics"));
            assertThat(after).doesNotContain("kiln_invocation_duration_seconds_count{" + fn);
            assertThat(after).doesNotContain("kiln_usage_invocations_total{" + fn);
        }
    }

    private static double value(String page, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(page);
        assertThat(m.find()).as("a sample " + series).isTrue();
        return Double.parseDouble(m.group(1));
    }
}
