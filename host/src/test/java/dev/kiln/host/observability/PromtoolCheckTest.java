package dev.kiln.host.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import dev.kiln.host.testing.HttpProbe;
import dev.kiln.host.testing.OtlpReceiver;
import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /metrics} of a real host that has run every kind of invocation passes {@code promtool
 * check metrics} (Prometheus's own linter: names, HELP and TYPE, units, counters ending {@code
 * _total}, histogram buckets) without a single finding. promtool comes from Debian's {@code
 * prometheus} package, which {@code .ci/run} installs: in CI (or with KILN_REQUIRE_PROMTOOL set) a
 * missing promtool fails this test; elsewhere it is skipped.
 */
class PromtoolCheckTest {
    @TempDir Path data;

    @Test
    void theMetricsOfAHostThatRanEveryKindOfInvocationPassPromtool() throws Exception {
        String promtool = promtool();
        HttpServer origin =
                HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        origin.createContext(
                "/",
                ex -> {
                    ex.sendResponseHeaders(204, -1);
                    ex.close();
                });
        origin.start();
        String originUrl = "http://127.0.0.1:" + origin.getAddress().getPort();
        try (OtlpReceiver otlp = OtlpReceiver.start();
                TestHost kiln =
                        TestHost.start(
                                data,
                                b ->
                                        b.tracing(
                                                new TracingSettings(
                                                        URI.create(otlp.endpoint()),
                                                        "kiln",
                                                        Duration.ofMillis(100))))) {
            assertThat(kiln.deploy("m", "echo", Wat.fixture("echo")).statusCode()).isEqualTo(201);
            assertThat(kiln.deploy("m", "trap", Wat.fixture("trap")).statusCode()).isEqualTo(201);
            assertThat(kiln.deploy("m", "kv", Wat.fixture("kv_probe")).statusCode()).isEqualTo(201);
            assertThat(kiln.patch("m", "kv", "{\"handler\":\"incr\"}").statusCode()).isEqualTo(200);
            assertThat(kiln.deploy("m", "net", Wat.fixture("http_probe")).statusCode())
                    .isEqualTo(201);
            assertThat(
                            kiln.patch(
                                            "m",
                                            "net",
                                            "{\"allowedOutboundHosts\":[\"" + originUrl + "\"]}")
                                    .statusCode())
                    .isEqualTo(200);

            assertThat(kiln.invoke("m", "echo", "sync").statusCode()).isEqualTo(200);
            assertThat(kiln.invoke("m", "trap", "boom").statusCode()).isGreaterThanOrEqualTo(400);
            assertThat(kiln.invokeAsync("m", "echo", "later").statusCode()).isEqualTo(202);
            assertThat(
                            kiln.send(
                                            kiln.request("/fn/m/echo/web")
                                                    .POST(HttpRequest.BodyPublishers.ofString("w"))
                                                    .build())
                                    .statusCode())
                    .isEqualTo(200);
            assertThat(kiln.invoke("m", "kv", "counter").statusCode()).isEqualTo(200);
            var net = kiln.invoke("m", "net", HttpProbe.get(originUrl + "/x"));
            assertThat(net.statusCode()).isEqualTo(200);
            assertThat(HttpProbe.status(net.body())).isEqualTo(204);
            // The async event has run and every record is written, so its series exist too.
            TestHost.await(
                    "the async invocation's record",
                    Duration.ofSeconds(20),
                    () ->
                            TestHost.json(kiln.get("/api/v1/services/m/functions/echo/invocations"))
                                            .get("invocations")
                                            .size()
                                    >= 3);

            var scrape = kiln.send(kiln.admin("/metrics").GET().build());
            assertThat(scrape.statusCode()).isEqualTo(200);
            String text = new String(scrape.body(), StandardCharsets.UTF_8);
            assertThat(text)
                    .contains("kiln_invocation_duration_seconds_bucket")
                    .contains("kiln_invocations_total")
                    .contains("kiln_usage_");
            Path file = data.resolve("metrics.txt");
            Files.write(file, scrape.body());
            Process p =
                    new ProcessBuilder(promtool, "check", "metrics")
                            .redirectInput(file.toFile())
                            .redirectErrorStream(true)
                            .start();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("promtool finished").isTrue();
            String findings = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(findings).as("promtool's findings").isBlank();
            assertThat(p.exitValue()).as(findings).isZero();
        } finally {
            origin.stop(0);
        }
    }

    /** promtool's path; skips the test where it is missing unless CI requires it. */
    static String promtool() throws InterruptedException {
        try {
            Process p =
                    new ProcessBuilder("promtool", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) {
                return "promtool";
            }
        } catch (IOException notInstalled) {
            // judged below
        }
        boolean required =
                "true".equals(System.getenv("CI"))
                        || System.getenv("KILN_REQUIRE_PROMTOOL") != null;
        if (required) {
            throw new AssertionError(
                    "promtool is not installed (apt-get install prometheus; .ci/run does)");
        }
        assumeTrue(false, "promtool is not installed (apt-get install prometheus)");
        return null;
    }
}
