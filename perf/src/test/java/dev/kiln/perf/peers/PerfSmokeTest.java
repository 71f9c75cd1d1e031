package dev.kiln.perf.peers;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code perf/run --smoke} inside the build, so the harness keeps working: every peer that can run
 * here is started, loaded and reported. Checks shapes and counts, never speed.
 *
 * <p>workerd and node are optional on a developer machine (their targets are skipped with a
 * message); CI sets {@code KILN_PERF_REQUIRE=workerd,node} so they must run there.
 */
@Tag("slow") // the perf peers smoke run
class PerfSmokeTest {
    static final Set<String> ALWAYS_AVAILABLE =
            Set.of(
                    UndertowPeer.IO,
                    UndertowPeer.WORKER,
                    KilnPeer.INVOKE,
                    KilnPeer.HTTP,
                    KilnPeer.WASI_CGI);

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void smokeRunMeasuresEveryAvailableTargetAndWritesItsReports(@TempDir Path out)
            throws Exception {
        List<String> args = new ArrayList<>();
        args.addAll(List.of("--smoke", "--out", out.toString(), "--workloads", "workloads"));
        // Servers run from this test's classpath (surefire's real one, not its booter jar).
        args.addAll(
                List.of(
                        "--classpath",
                        System.getProperty(
                                "surefire.test.class.path",
                                System.getProperty("java.class.path"))));
        String require = System.getenv("KILN_PERF_REQUIRE");
        if (require != null && !require.isBlank()) {
            args.addAll(List.of("--require", require));
        }
        PeerRun run = new PeerRun();
        long start = System.nanoTime();
        int exit = new CommandLine(run).execute(args.toArray(String[]::new));
        assertThat(exit).isZero();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMinutes(3));

        JsonNode report = new ObjectMapper().readTree(run.reportFile().toFile());
        String stamp = run.reportFile().getFileName().toString().replace(".json", "");
        Path runDir = out.resolve(stamp);
        List<String> seen = new ArrayList<>();
        for (JsonNode t : report.path("targets")) {
            String id = t.path("id").asText();
            seen.add(id);
            String status = t.path("status").asText();
            if (ALWAYS_AVAILABLE.contains(id)
                    || (require != null
                            && id.startsWith("workerd")
                            && require.contains("workerd"))) {
                assertThat(status).as(id + ": " + t.path("note")).isEqualTo("MEASURED");
            }
            if (!status.equals("MEASURED")) {
                assertThat(status).as(id).isEqualTo("SKIPPED");
                assertThat(t.path("note").asText()).as(id).isNotBlank();
                continue;
            }
            assertThat(t.path("maxThroughput").asDouble()).as(id).isPositive();
            assertThat(t.path("levels")).as(id).hasSize(3);
            for (JsonNode level : t.path("levels")) {
                JsonNode p = level.path("latency");
                assertThat(p.path("count").asLong()).as(id).isPositive();
                assertThat(p.path("p50").asDouble()).isLessThanOrEqualTo(p.path("p99").asDouble());
                assertThat(p.path("p99").asDouble()).isLessThanOrEqualTo(p.path("p999").asDouble());
                assertThat(p.path("p999").asDouble()).isLessThanOrEqualTo(p.path("max").asDouble());
            }
            assertThat(Files.readString(runDir.resolve(id + ".html"))).contains("<svg", "<path");
            assertThat(runDir.resolve(id + "-70.hgrm")).exists();
        }
        assertThat(seen)
                .containsExactly(
                        "undertow-io",
                        "undertow-worker",
                        "workerd-hello",
                        "workerd-wasm",
                        "kiln-invoke",
                        "kiln-http",
                        "kiln-wasi-cgi");

        JsonNode compute = report.path("compute").path("workloads");
        assertThat(compute).hasSize(4);
        for (JsonNode w : compute) {
            assertThat(w.path("note").isNull()).as(w.toString()).isTrue();
            assertThat(w.path("chicory").path("medianMs").asDouble()).isPositive();
            assertThat(w.path("chicoryFuel").path("medianMs").asDouble()).isPositive();
            assertThat(w.path("kiln").path("medianMs").asDouble()).isPositive();
            if (require != null && require.contains("node")) {
                assertThat(w.path("v8").path("medianMs").asDouble()).isPositive();
            }
        }

        String markdown = Files.readString(out.resolve(stamp + ".md"));
        assertThat(markdown).contains("| kiln-http | ", "÷ Undertow worker", "| fib(25) |");
        // Whether the machine was quiet enough for the tails to mean anything, measured twice.
        assertThat(markdown).contains("Machine stalls (one thread per core spinning on the clock)");
        for (String when : List.of("stallsBefore", "stallsAfter")) {
            JsonNode stalls = report.path("machine").path(when);
            assertThat(stalls.path("threads").asInt()).as(when).isPositive();
            assertThat(stalls.path("seconds").asDouble()).as(when).isEqualTo(1.0);
        }
    }
}
