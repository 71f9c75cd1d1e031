package dev.kiln.perf.soak;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code perf/soak --smoke} inside the build (about 25 s), so the harness keeps working: a real
 * host in its own JVM, every kind of request, uploads, the JMX probe, the report. It checks counts
 * and that nothing went wrong, never speed: the p99, heap and thread bounds are opened wide because
 * a shared CI machine makes them noise over 10 seconds.
 */
@Tag("slow") // a soak run with a host in its own JVM
class SoakSmokeTest {
    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void aShortSoakRunsEveryKindWithoutErrorsAndReportsEachInterval(@TempDir Path out)
            throws Exception {
        List<String> args =
                new ArrayList<>(
                        List.of(
                                "--smoke",
                                "--duration",
                                "10s",
                                "--fraction",
                                "0.3",
                                "--p99-ratio",
                                "1000",
                                "--heap-growth",
                                "10",
                                "--thread-slack",
                                "1000",
                                "--out",
                                out.toString(),
                                "--classpath",
                                System.getProperty(
                                        "surefire.test.class.path",
                                        System.getProperty("java.class.path"))));
        SoakRun run = new SoakRun();
        int exit = new CommandLine(run).execute(args.toArray(String[]::new));
        assertThat(exit).isZero();

        JsonNode report = new ObjectMapper().readTree(run.reportFile().toFile());
        assertThat(report.path("passed").asBoolean()).isTrue();
        assertThat(report.path("maxThroughput").asDouble()).isPositive();
        assertThat(report.path("unexpectedAfterLoad").asLong()).isZero();
        JsonNode intervals = report.path("intervals");
        assertThat(intervals.size()).isBetween(2, 4);
        for (JsonNode i : intervals) {
            assertThat(i.path("unexpected").asLong()).as(i.toString()).isZero();
            assertThat(i.path("heapAfterGcBytes").asLong()).isPositive();
            assertThat(i.path("threads").asLong()).isPositive();
            assertThat(i.path("dataDirBytes").asLong()).isPositive();
        }
        // Every kind was answered as expected, and its function's outcomes were the expected one.
        List<String> kinds = new ArrayList<>();
        for (JsonNode k : report.path("kinds")) {
            String name = k.path("name").asText();
            kinds.add(name);
            long answered = 0;
            for (JsonNode i : intervals) {
                for (JsonNode f : i.path("kinds")) {
                    if (f.path("kind").asText().equals(name)) {
                        answered += f.path("answered").asLong();
                        assertThat(f.path("outcomes").size()).isLessThanOrEqualTo(1);
                    }
                }
            }
            assertThat(answered).as(name).isPositive();
        }
        assertThat(kinds)
                .containsExactly(
                        "echo", "http", "async", "fuel", "memory", "trap", "stack", "timeout");
        long uploads = 0;
        for (JsonNode i : intervals) {
            uploads += i.path("uploads").path("uploads").asLong();
        }
        assertThat(uploads).isPositive();
        assertThat(report.path("checks").size()).isEqualTo(7);

        String stamp = run.reportFile().getFileName().toString().replace(".json", "");
        String markdown = Files.readString(out.resolve(stamp + ".md"));
        assertThat(markdown).contains("| before |", "heap after GC", "**PASSED**");
        assertThat(out.resolve(stamp).resolve("kiln.log")).exists();
    }
}
