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
    void withoutCasesTheRunnerUsesTheCasesItWasBuiltWith() {
        // The working directory here is conformance/, where conformance/cases does not exist:
        // the cases come from the runner's own classpath (in the jar: bundled inside it).
        var listed = new ByteArrayOutputStream();
        assertThat(cli(listed, "--list")).isEqualTo(0);
        var names = listed.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(names).hasSizeGreaterThanOrEqualTo(100).contains("http/method-get");
        assertThat(names).noneMatch(n -> n.startsWith("_shared"));
        var http = new ByteArrayOutputStream();
        assertThat(cli(http, "--list", "--filter", "http/method-*")).isEqualTo(0);
        assertThat(http.toString(StandardCharsets.UTF_8)).contains("http/method-get");
    }

    @Test
    void usageErrorsAreOneLineAndExitTwo(@TempDir Path empty) throws IOException {
        assertThat(failure(2, "--list", "--cases", empty.resolve("nope").toString()))
                .contains("cases directory")
                .contains("does not exist");
        assertThat(failure(2, "--list", "--cases", empty.toString())).contains("no cases found");
        Path typo = Files.createDirectories(empty.resolve("area/typo"));
        Files.writeString(typo.resolve("case.json"), "{\"requests\": [{\"bodyy\": \"x\"}]}");
        assertThat(failure(2, "--list", "--cases", empty.toString()))
                .contains("area/typo")
                .contains("bodyy");
        assertThat(
                        failure(
                                2,
                                "--admin-token",
                                "t",
                                "--target",
                                "ftp://x",
                                "--cases",
                                FIXTURES.toString()))
                .contains("--target");
    }

    @Test
    void aFilterThatSelectsNothingFailsInsteadOfPassingVacuously() {
        // '*' never crosses '/', and every case name has one.
        String err =
                failure(
                        2,
                        "--target",
                        ConformanceTest.uri(host).toString(),
                        "--admin-token",
                        ConformanceTest.TOKEN,
                        "--cases",
                        FIXTURES.toString(),
                        "--filter",
                        "*");
        assertThat(err).contains("--filter '*' selects no case").contains("'**'");
        assertThat(failure(2, "--list", "--cases", FIXTURES.toString(), "--filter", "nothing/*"))
                .contains("selects no case");
        var all = new ByteArrayOutputStream();
        assertThat(cli(all, "--list", "--cases", FIXTURES.toString(), "--filter", "**"))
                .isEqualTo(0);
        assertThat(all.toString(StandardCharsets.UTF_8).lines()).hasSize(11);
    }

    @Test
    void anUnusableTargetIsOneLineAndExitThree() throws IOException {
        int closedPort;
        try (var socket = new java.net.ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        String[] cases = {"--cases", FIXTURES.toString(), "--filter", "demo/passes"};
        String unreachable =
                failure(
                        3,
                        concat(
                                cases,
                                "--target",
                                "http://127.0.0.1:" + closedPort,
                                "--admin-token",
                                ConformanceTest.TOKEN));
        assertThat(unreachable).contains("cannot reach http://127.0.0.1:" + closedPort);
        String refused =
                failure(
                        3,
                        concat(
                                cases,
                                "--target",
                                ConformanceTest.uri(host).toString(),
                                "--admin-token",
                                "not-the-token"));
        assertThat(refused).contains("refused the admin token (HTTP 401");
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
        return cli(stdout, new ByteArrayOutputStream(), args);
    }

    private static int cli(
            ByteArrayOutputStream stdout, ByteArrayOutputStream stderr, String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
        try {
            return new CommandLine(new ConformanceCli()).execute(args);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    /** The CLI's exit code and its stderr, which must be a single line. */
    private static String failure(int expectedCode, String... args) {
        var err = new ByteArrayOutputStream();
        int code = cli(new ByteArrayOutputStream(), err, args);
        String text = err.toString(StandardCharsets.UTF_8);
        assertThat(code).as(text).isEqualTo(expectedCode);
        assertThat(text.lines().toList()).as(text).hasSize(1);
        assertThat(text).startsWith("kiln-conformance: ").doesNotContain("Exception\tat");
        return text.trim();
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
