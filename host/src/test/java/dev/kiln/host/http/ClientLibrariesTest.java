package dev.kiln.host.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the Python client's unittest suite ({@code clients/python}) and the JavaScript client's
 * node:test suite ({@code clients/js}) against a real host started here (docs/adr/0042): each gets
 * {@code KILN_ENDPOINT}, {@code KILN_TOKEN} and {@code KILN_TEST_MODULES} (hello, echo and trap
 * compiled from WAT). {@code python3} and {@code node} must be installed ({@code .ci/run} installs
 * them): a missing one fails the test rather than skipping it.
 */
@Tag("slow") // runs python3 and node in processes of their own
class ClientLibrariesTest {
    private static final long TIMEOUT_SECONDS = 300;

    @TempDir Path data;
    @TempDir Path modules;

    @Test
    void thePythonClientPassesItsTestsAgainstARealHost() throws Exception {
        Path dir = repository().resolve("clients/python");
        String output =
                run(
                        dir,
                        List.of("python3", "-m", "unittest", "-v", "test_kiln_client"),
                        Map.of("PYTHONDONTWRITEBYTECODE", "1"));
        assertThat(output).contains("test_the_seed_snippet_runs_unchanged").contains("OK");
    }

    @Test
    void theJavaScriptClientPassesItsTestsAgainstARealHost() throws Exception {
        Path dir = repository().resolve("clients/js");
        String output = run(dir, List.of("node", "--test", "test/"), Map.of());
        assertThat(output).contains("# fail 0");
    }

    /**
     * Runs {@code command} in {@code dir} against a fresh host; its output, or a failure with it.
     */
    private String run(Path dir, List<String> command, Map<String, String> extraEnv)
            throws IOException, InterruptedException {
        Files.write(
                modules.resolve("hello.wasm"),
                Wat.compile(read("guest-sdks/examples/wat/hello.wat")));
        Files.write(modules.resolve("echo.wasm"), Wat.fixture("echo"));
        Files.write(modules.resolve("trap.wasm"), Wat.fixture("trap"));
        Path log = Files.createTempFile(modules, "output", ".txt");
        try (TestHost kiln = TestHost.start(data)) {
            var process = new ProcessBuilder(command).directory(dir.toFile());
            var env = process.environment();
            env.put("KILN_ENDPOINT", "http://127.0.0.1:" + kiln.host().port());
            env.put("KILN_TOKEN", TestHost.TOKEN);
            env.put("KILN_TEST_MODULES", modules.toString());
            env.putAll(extraEnv);
            process.redirectErrorStream(true).redirectOutput(log.toFile());
            Process p;
            try {
                p = process.start();
            } catch (IOException e) {
                throw new AssertionError(
                        command.getFirst()
                                + " is not installed; .ci/run installs it (apt-get install"
                                + " python3 nodejs)",
                        e);
            }
            boolean finished = p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            if (!finished) {
                p.destroyForcibly().waitFor();
            }
            String output = Files.readString(log, StandardCharsets.UTF_8);
            assertThat(finished)
                    .as(
                            String.join(" ", command)
                                    + " did not finish in "
                                    + TIMEOUT_SECONDS
                                    + " s:\n"
                                    + output)
                    .isTrue();
            assertThat(p.exitValue())
                    .as(String.join(" ", command) + " failed:\n" + output)
                    .isZero();
            System.out.println(output); // the suite's own report, in surefire's output
            // The host still serves after everything the suite threw at it.
            assertThat(kiln.get("/healthz").statusCode()).isEqualTo(200);
            return output;
        }
    }

    private static String read(String pathInRepository) throws IOException {
        return Files.readString(repository().resolve(pathInRepository), StandardCharsets.UTF_8);
    }

    /** The repository's root: surefire runs in {@code host/}. */
    private static Path repository() {
        Path here = Path.of("").toAbsolutePath();
        for (Path p = here; p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("clients")) && Files.exists(p.resolve("pom.xml"))) {
                return p;
            }
        }
        throw new AssertionError("no repository root with clients/ above " + here);
    }
}
