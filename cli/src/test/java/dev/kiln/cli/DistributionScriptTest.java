package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution archive {@code mvn package} builds, unpacked outside the checkout and started
 * with nothing but a JDK (runs after package, as the cli module's {@code script} execution).
 */
class DistributionScriptTest {
    @TempDir Path work;

    @Test
    void theArchiveUnpacksStartsServesAndDeploys() throws Exception {
        Path archive;
        try (Stream<Path> files = Files.list(Path.of("target"))) {
            archive =
                    files.filter(f -> f.getFileName().toString().matches("kiln-.*\\.tar\\.gz"))
                            .findFirst()
                            .orElseThrow(() -> new AssertionError("no kiln-<version>.tar.gz"));
        }
        assertThat(
                        run(
                                        List.of("tar", "xzf", archive.toAbsolutePath().toString()),
                                        Map.of(),
                                        work)
                                .exit())
                .isZero();
        Path home;
        try (Stream<Path> dirs = Files.list(work)) {
            home = dirs.filter(Files::isDirectory).findFirst().orElseThrow();
        }
        assertThat(home.getFileName().toString()).startsWith("kiln-");
        assertThat(Files.isExecutable(home.resolve("bin/kiln"))).isTrue();
        assertThat(home.resolve("lib/kiln.jar")).exists();
        assertThat(home.resolve("README.md")).exists();
        assertThat(Files.readString(home.resolve("kiln.service")))
                .contains("ExecStart=/opt/kiln/bin/kiln serve")
                .contains("Environment=KILN_CDS_DIR=/var/cache/kiln");

        // Only a JDK: no Maven or checkout on PATH, JAVA_HOME naming the one running this test.
        Map<String, String> env =
                Map.of(
                        "PATH",
                        "/usr/bin:/bin",
                        "JAVA_HOME",
                        System.getProperty("java.home"),
                        "KILN_ADMIN_TOKEN",
                        "dist-token",
                        "KILN_CONFIG_DIR",
                        work.resolve("config").toString());
        // The installed launcher has the JVM trim its native heap too (docs/adr/0077).
        var trimLog = new java.util.HashMap<>(env);
        trimLog.put("KILN_JAVA_OPTS", "-Xlog:trimnative:stderr");
        Result version =
                run(List.of(home.resolve("bin/kiln").toString(), "--version"), trimLog, work);
        assertThat(version.exit()).as(version.toString()).isZero();
        KilnScriptTest.assertTrimsNativeHeap(version.err());
        Path run = Files.createDirectories(work.resolve("run"));
        // As kiln.service starts it: with a directory for the start-up cache (docs/adr/0067).
        Path cacheDir = work.resolve("start-cache");
        var serveEnv = new java.util.HashMap<>(env);
        serveEnv.put("KILN_CDS_DIR", cacheDir.toString());
        var pb =
                new ProcessBuilder(
                                home.resolve("bin/kiln").toString(),
                                "serve",
                                "--port",
                                "0",
                                "--data",
                                run.resolve("data").toString())
                        .directory(run.toFile())
                        .redirectOutput(run.resolve("out").toFile())
                        .redirectError(run.resolve("err").toFile());
        pb.environment().clear();
        pb.environment().putAll(serveEnv);
        Process server = pb.start();
        try {
            String endpoint =
                    KilnScriptTest.awaitListening(server, run.resolve("out"), run.resolve("err"));
            var client = new java.util.HashMap<>(env);
            client.put("KILN_ENDPOINT", endpoint);
            client.put("KILN_TOKEN", "dist-token");
            Path module = Files.write(run.resolve("echo.wasm"), CliRunner.echo("dist:"));
            Result r =
                    run(
                            List.of(
                                    home.resolve("bin/kiln").toString(),
                                    "deploy",
                                    "demo/echo",
                                    module.toString()),
                            client,
                            run);
            assertThat(r.exit()).as(r.toString()).isZero();
            r =
                    run(
                            List.of(
                                    home.resolve("bin/kiln").toString(),
                                    "invoke",
                                    "demo/echo",
                                    "-d",
                                    "ok"),
                            client,
                            run);
            assertThat(r.out()).as(r.toString()).isEqualTo("dist:ok");
            assertThat(Files.readString(run.resolve("err")))
                    .contains("kiln: training the start-up cache");
            try (Stream<Path> files = Files.list(cacheDir)) {
                assertThat(files.map(f -> f.getFileName().toString()))
                        .anyMatch(f -> f.matches("kiln-serve-jdk.*\\.(aot|jsa)"));
            }
        } finally {
            server.destroy();
            assertThat(server.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
    }

    record Result(int exit, String out, String err) {}

    private static Result run(List<String> command, Map<String, String> env, Path dir)
            throws IOException, InterruptedException {
        var pb = new ProcessBuilder(new ArrayList<>(command)).directory(dir.toFile());
        if (!env.isEmpty()) {
            pb.environment().clear();
            pb.environment().putAll(env);
        }
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }
}
