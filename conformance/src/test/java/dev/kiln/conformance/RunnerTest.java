package dev.kiln.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.host.KilnHost;
import dev.kiln.host.config.KilnConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The runner itself, against a real host: fixture cases under {@code src/test/resources/
 * runner-cases} that pass, fail and skip on purpose, through the suite API and the CLI.
 */
class RunnerTest {
    static final Path FIXTURES = Path.of("src", "test", "resources", "runner-cases");
    static final int PAYLOAD_CAP = 4096;

    @TempDir static Path data;
    static KilnHost host;

    @BeforeAll
    static void start() throws IOException {
        host =
                KilnHost.start(
                        KilnConfig.builder()
                                .port(0)
                                .dataDir(data)
                                .adminToken(ConformanceTest.TOKEN)
                                .maxPayloadBytes(PAYLOAD_CAP)
                                .build());
    }

    @AfterAll
    static void stop() {
        host.close();
    }

    @Test
    void reportsPassFailAndSkipWithTheReason() throws Exception {
        Report report =
                ConformanceSuite.load(FIXTURES, null)
                        .run(ConformanceTest.uri(host), ConformanceTest.TOKEN, 3);
        Map<String, String> outcome =
                report.results().stream()
                        .collect(
                                Collectors.toMap(
                                        CaseResult::name, r -> r.status() + " " + r.detail()));
        assertThat(outcome.get("demo/passes")).isEqualTo("PASS ");
        assertThat(outcome.get("demo/generated")).isEqualTo("PASS ");
        assertThat(outcome.get("demo/zip")).isEqualTo("PASS ");
        assertThat(outcome.get("demo/capture-and-retry")).isEqualTo("PASS ");
        assertThat(outcome.get("demo/concurrent")).isEqualTo("PASS ");
        assertThat(outcome.get("demo/limit-quantity")).isEqualTo("PASS ");
        assertThat(outcome.get("demo/fails-status"))
                .startsWith("FAIL request 1: status 200, expected 201");
        assertThat(outcome.get("demo/not-unique"))
                .startsWith("FAIL request 1 #2: header content-type repeats");
        assertThat(outcome.get("demo/not-same"))
                .startsWith("FAIL request 1 #2: header x-kiln-request-id is");
        assertThat(outcome.get("demo/known-issue")).isEqualTo("SKIP known issue: demo");
        assertThat(outcome.get("demo/needs-feature"))
                .isEqualTo("SKIP target lacks feature abi:cobol");
        assertThat(report.summary()).isEqualTo("6 passed, 3 failed, 2 skipped");
    }

    @Test
    void theCliPrintsATableWritesJUnitXmlAndFailsOnAnyFailure(@TempDir Path out) throws Exception {
        Path xml = out.resolve("results.xml");
        String[] common = {
            "--target", ConformanceTest.uri(host).toString(),
            "--admin-token", ConformanceTest.TOKEN,
            "--cases", FIXTURES.toString(),
            "--junit-xml", xml.toString()
        };
        var stdout = new ByteArrayOutputStream();
        int code = cli(stdout, concat(common, "--parallel", "2"));
        String table = stdout.toString(StandardCharsets.UTF_8);
        assertThat(code).isEqualTo(1);
        assertThat(table).containsPattern("demo/passes\\s+PASS\\s+\\d+ ms");
        assertThat(table).containsPattern("demo/known-issue\\s+SKIP\\s+\\d+ ms\\s+known issue");
        assertThat(table).contains("6 passed, 3 failed, 2 skipped");
        String junit = Files.readString(xml);
        assertThat(junit).contains("tests=\"11\" failures=\"3\" skipped=\"2\"");
        assertThat(junit).contains("<skipped message=\"target lacks feature abi:cobol\"/>");
        assertThat(junit).contains("<failure message=\"request 1: status 200, expected 201");

        assertThat(cli(new ByteArrayOutputStream(), concat(common, "--filter", "demo/pass*")))
                .isEqualTo(0);
        var listed = new ByteArrayOutputStream();
        assertThat(cli(listed, "--list", "--cases", FIXTURES.toString(), "--filter", "demo/z*"))
                .isEqualTo(0);
        assertThat(listed.toString(StandardCharsets.UTF_8).trim()).isEqualTo("demo/zip");
    }

    @Test
    void aCaseWithAnUnknownFieldDoesNotLoad(@TempDir Path cases) throws IOException {
        Path dir = Files.createDirectories(cases.resolve("area/typo"));
        Files.writeString(
                dir.resolve("case.json"),
                "{\"requests\": [{\"body\": \"x\", \"expect\": {\"stauts\": 200}}]}");
        assertThatThrownBy(() -> ConformanceSuite.load(cases, null))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("area/typo")
                .hasMessageContaining("stauts");
    }

    private static int cli(ByteArrayOutputStream stdout, String... args) {
        PrintStream old = System.out;
        System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
        try {
            return new CommandLine(new ConformanceCli()).execute(args);
        } finally {
            System.setOut(old);
        }
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
