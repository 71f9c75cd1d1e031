package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The API commands of {@code kiln}, in-process, against a real host on a free port. */
class CliTest extends CliAgainstHost {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void loginSavesAProfileOnlyItsOwnerCanReadAndCommandsUseIt() throws IOException {
        var noEnv = new CliRunner(Map.of("KILN_CONFIG_DIR", config.toString()));
        var r = noEnv.runWithInput(TOKEN + "\n", "login", "--endpoint", endpoint, "--token-stdin");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("Logged in to " + endpoint);
        Path file = config.resolve("config.json");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-------");
        assertThat(
                        JSON.readTree(file.toFile())
                                .path("profiles")
                                .path("default")
                                .path("token")
                                .asText())
                .isEqualTo(TOKEN);
        // No KILN_ENDPOINT or KILN_TOKEN: the saved profile is used.
        r = noEnv.run("functions");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("No functions yet");
        // A second profile, then asked for by name; an unknown one is a one-line error.
        r =
                noEnv.run(
                        "login",
                        "--profile",
                        "other",
                        "--endpoint",
                        endpoint + "/",
                        "--token",
                        TOKEN);
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(noEnv.run("functions", "--profile", "other").exit()).isZero();
        r = noEnv.run("functions", "--profile", "nope");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().strip()).startsWith("error: no_profile: ").doesNotContain("\n");
    }

    @Test
    void aWrongKeyIsRefusedAtLoginAndNothingIsSaved() {
        var noEnv = new CliRunner(Map.of("KILN_CONFIG_DIR", config.toString()));
        var r = noEnv.run("login", "--endpoint", endpoint, "--token", "wrong-key");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().strip()).startsWith("error: unauthorized: ").doesNotContain("\n");
        assertThat(config.resolve("config.json")).doesNotExist();
        // A host that is not there: one line too.
        r = noEnv.run("login", "--endpoint", "http://127.0.0.1:1", "--token", TOKEN);
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().strip())
                .startsWith("error: connection_failed: ")
                .doesNotContain("\tat ");
    }

    @Test
    void deployInvokeVersionsAliasesLogsAndRm() throws Exception {
        Path v1 = Files.write(work.resolve("v1.wasm"), CliRunner.echo("one:"));
        Path v2 = Files.write(work.resolve("v2.wasm"), CliRunner.echo("two:"));
        var r =
                kiln.run(
                        "deploy",
                        "demo/echo",
                        v1.toString(),
                        "--timeout-ms",
                        "3000",
                        "--env",
                        "A=B");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out())
                .contains("Deployed demo/echo: version 1")
                .contains(endpoint + "/fn/demo/echo/");
        r = kiln.run("deploy", "demo/echo", v2.toString(), "--json");
        assertThat(r.exit()).as(r.toString()).isZero();
        JsonNode fn = JSON.readTree(r.out());
        assertThat(fn.path("version").path("number").asInt()).isEqualTo(2);
        // The flags of the first deploy were settings of that version; the second gave none.
        assertThat(kiln.run("invoke", "demo/echo", "--data", "hi", "-q", "1").out())
                .isEqualTo("one:hi");

        r = kiln.run("invoke", "demo/echo", "--data", "hi");
        assertThat(r.out()).isEqualTo("two:hi");
        assertThat(r.err()).contains("(version 2, ");
        r = kiln.runWithInput("from stdin", "invoke", "demo/echo", "--file", "-", "--json");
        JsonNode inv = JSON.readTree(r.out());
        assertThat(inv.path("payload").asText()).isEqualTo("two:from stdin");
        assertThat(inv.path("version").asInt()).isEqualTo(2);
        String requestId = inv.path("requestId").asText();

        r = kiln.run("versions", "demo/echo");
        assertThat(r.out()).containsPattern("(?m)^1 ").containsPattern("(?m)^2 .*LATEST");
        r = kiln.run("alias", "set", "demo/echo", "prod", "1", "--additional-version", "2=0.25");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("prod -> version 1 (+ version 2 at 0.25)");
        assertThat(kiln.run("alias", "get", "demo/echo", "prod", "--json").out())
                .contains("\"version\" : 1");
        assertThat(kiln.run("alias", "list", "demo/echo").out()).contains("prod -> version 1");
        assertThat(kiln.run("versions", "demo/echo").out()).contains("prod");

        host.flushRecords();
        r = kiln.run("logs", "demo/echo");
        assertThat(r.out()).contains(requestId + " from stdin");
        assertThat(JSON.readTree(kiln.run("logs", "demo/echo", "--json").out())).isNotEmpty();

        r = kiln.run("functions");
        assertThat(r.out()).containsPattern("(?m)^demo/echo +2 ");
        assertThat(kiln.run("alias", "rm", "demo/echo", "prod").exit()).isZero();
        assertThat(kiln.run("rm", "demo/echo", "--version", "1").out())
                .contains("Deleted demo/echo version 1");
        assertThat(kiln.run("rm", "demo/echo").exit()).isZero();
        r = kiln.run("invoke", "demo/echo");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().strip())
                .startsWith("error: function_not_found: ")
                .containsPattern("\\(request [0-9A-Z]{26}\\)$")
                .doesNotContain("\n");
    }

    @Test
    void badArgumentsAndBadFilesAreOneLineErrors() throws IOException {
        var r = kiln.run("invoke", "not-a-function-name");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().strip())
                .startsWith("error: invalid_arguments: ")
                .contains("SERVICE/FUNCTION")
                .doesNotContain("\n");
        Path wat = Files.writeString(work.resolve("hello.wat"), "(module)");
        r = kiln.run("deploy", "demo/x", wat.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().strip()).startsWith("error: invalid_module: ").doesNotContain("\n");
        r = kiln.run("deploy", "demo/x", work.resolve("missing.wasm").toString());
        assertThat(r.err().strip()).startsWith("error: not_found: ");
        r = kiln.run("deploy", "demo/x", work.toString());
        assertThat(r.err().strip()).startsWith("error: not_a_project: ");
        r = kiln.run("logs", "demo/none");
        assertThat(r.err().strip()).startsWith("error: function_not_found: ");
    }

    @Test
    void aProjectDirectoryIsBuiltWithItsBuildShAndALargeUploadShowsProgress() throws Exception {
        Path project = Files.createDirectories(work.resolve("big"));
        // Past the client's 256 KiB chunk: a custom section of padding after a real module.
        byte[] module = CliRunner.echo("big:");
        byte[] padded = Arrays.copyOf(module, module.length + 6 + 600_000);
        int at = module.length;
        padded[at++] = 0; // custom section
        int size = 4 + 600_000; // name length byte + "pad" + payload
        for (int v = size; ; ) { // LEB128
            int b = v & 0x7f;
            v >>>= 7;
            padded[at++] = (byte) (v == 0 ? b : b | 0x80);
            if (v == 0) {
                break;
            }
        }
        padded[at++] = 3;
        padded[at++] = 'p';
        padded[at++] = 'a';
        padded[at] = 'd';
        padded = Arrays.copyOf(padded, at + 1 + 600_000);
        // Random, so the zip the settings travel in cannot shrink it below the progress threshold.
        byte[] noise = new byte[600_000];
        new java.util.Random(7).nextBytes(noise);
        System.arraycopy(noise, 0, padded, at + 1, noise.length);
        Files.createDirectories(project.resolve("src"));
        Files.write(project.resolve("src/module.bin"), padded);
        Files.writeString(
                project.resolve("kiln.json"),
                "{\"module\": \"build/big.wasm\", \"timeoutMs\": 4000}");
        Files.writeString(
                project.resolve("build.sh"),
                "set -e\necho compiling\nmkdir -p build\ncp src/module.bin build/big.wasm\n");
        var r = kiln.run("deploy", "demo/big", project.toString());
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.err())
                .contains("building")
                .contains("  | compiling")
                .contains("uploading: 100%");
        assertThat(kiln.run("invoke", "demo/big", "-d", "x").out()).isEqualTo("big:x");
        JsonNode f = JSON.readTree(kiln.run("functions", "demo", "--json").out()).get(0);
        assertThat(f.path("settings").path("timeoutMs").asInt()).isEqualTo(4000);
        // A failing build stops before any upload, with its output shown.
        Files.writeString(project.resolve("build.sh"), "echo 'syntax error here' >&2\nexit 3\n");
        r = kiln.run("deploy", "demo/big", project.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("  | syntax error here");
        assertThat(r.err().lines().toList().getLast()).startsWith("error: build_failed: ");
    }

    @Test
    void asyncInvokeAndFollowedLogs() throws Exception {
        Files.write(work.resolve("e.wasm"), CliRunner.echo("e:"));
        assertThat(kiln.run("deploy", "demo/e", work.resolve("e.wasm").toString()).exit()).isZero();
        var followed = new AtomicReference<CliRunner.Run>();
        var out = new java.io.ByteArrayOutputStream();
        var err = new java.io.StringWriter();
        var context =
                new CliContext(
                        Map.of("KILN_ENDPOINT", endpoint, "KILN_TOKEN", TOKEN),
                        java.io.InputStream.nullInputStream(),
                        out);
        var cli = Main.commandLine(context);
        cli.setErr(new java.io.PrintWriter(err, true));
        Thread follower =
                Thread.ofPlatform()
                        .start(
                                () ->
                                        followed.set(
                                                new CliRunner.Run(
                                                        cli.execute("logs", "demo/e", "--follow"),
                                                        "",
                                                        "")));
        // The stream starts with lines written after it opened: invoke until one comes through.
        var ids = new java.util.concurrent.CopyOnWriteArrayList<String>();
        CliRunner.await(
                "a followed log line: " + out + " / " + err,
                Duration.ofSeconds(30),
                () -> {
                    var r = kiln.run("invoke", "demo/e", "--async", "--data", "queued-line");
                    assertThat(r.exit()).as(r.toString()).isZero();
                    String id = r.out().strip();
                    assertThat(id).matches("[0-9A-Z]{26}");
                    ids.add(id);
                    String printed;
                    synchronized (out) {
                        printed = out.toString(java.nio.charset.StandardCharsets.UTF_8);
                    }
                    return ids.stream().anyMatch(i -> printed.contains(i + " queued-line"));
                });
        follower.interrupt();
        follower.join(10_000);
        assertThat(follower.isAlive()).isFalse();
        // The host streams its logs (GET …/logs?follow=true): no fallback to polling.
        assertThat(err.toString()).doesNotContain("\tat ").doesNotContain("polling");
    }

    @Test
    void devRebuildsAndRedeploysOnEveryChange() throws Exception {
        Path project = Files.createDirectories(work.resolve("hello"));
        Files.createDirectories(project.resolve("src"));
        Files.write(project.resolve("src/fn.bin"), CliRunner.echo("v1:"));
        Files.writeString(project.resolve("kiln.json"), "{\"module\": \"build/hello.wasm\"}");
        Files.writeString(
                project.resolve("build.sh"),
                "set -e\nmkdir -p build\ncp src/fn.bin build/hello.wasm\n");
        var out = new java.io.ByteArrayOutputStream();
        var err = new java.io.StringWriter();
        var context =
                new CliContext(
                        Map.of("KILN_ENDPOINT", endpoint, "KILN_TOKEN", TOKEN),
                        java.io.InputStream.nullInputStream(),
                        out);
        var cli = Main.commandLine(context);
        cli.setErr(new java.io.PrintWriter(err, true));
        var exit = new java.util.concurrent.atomic.AtomicInteger(-1);
        Thread dev =
                Thread.ofPlatform()
                        .start(
                                () ->
                                        exit.set(
                                                cli.execute(
                                                        "dev",
                                                        project.toString(),
                                                        "--poll-ms",
                                                        "100")));
        try {
            CliRunner.await(
                    "version 1",
                    Duration.ofSeconds(30),
                    () -> "v1:a".equals(kiln.run("invoke", "dev/hello", "-d", "a").out()));
            Files.write(project.resolve("src/fn.bin"), CliRunner.echo("v2:"));
            CliRunner.await(
                    "version 2",
                    Duration.ofSeconds(30),
                    () -> "v2:b".equals(kiln.run("invoke", "dev/hello", "-d", "b").out()));
            CliRunner.await(
                    "the tailed log line of version 2",
                    Duration.ofSeconds(30),
                    () -> {
                        kiln.run("invoke", "dev/hello", "-d", "b");
                        synchronized (out) {
                            return out.toString(java.nio.charset.StandardCharsets.UTF_8)
                                    .contains(" b");
                        }
                    });
        } finally {
            dev.interrupt();
            dev.join(10_000);
        }
        assertThat(dev.isAlive()).isFalse();
        assertThat(exit.get()).as(err.toString()).isZero();
        String printed;
        synchronized (out) {
            printed = out.toString(java.nio.charset.StandardCharsets.UTF_8);
        }
        assertThat(printed)
                .contains("Deployed dev/hello: version 1")
                .contains("Deployed dev/hello: version 2");
        assertThat(err.toString()).contains("changed: src/fn.bin").contains("watching ");
    }
}
