package dev.kiln.host.cluster;

import static dev.kiln.host.testing.TestHost.json;
import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.host.testing.ChildKiln;
import dev.kiln.host.testing.NatsServers;
import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cluster mode with real processes: {@code kiln serve --cluster} in a child JVM, three nats-server
 * processes joined by routes; kill -9 by PID of a Kiln node and of a NATS server (docs/adr/0048).
 */
class ClusterProcessTest {
    @TempDir Path dir;

    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void anUnreachableClusterAtStartIsOneLineAndAFailingExit() throws Exception {
        int closed = NatsServers.freePort();
        String said =
                refusedStart(
                        "--cluster",
                        "nats://127.0.0.1:" + closed,
                        "--secrets-key",
                        dir.resolve("secrets.key").toString());
        assertThat(oneLine(said))
                .contains("cannot reach the NATS cluster at nats://127.0.0.1:" + closed);
    }

    @Test
    void aRecordsStreamLimitUnderItsMinimumIsRefused() throws Exception {
        String said =
                refusedStart(
                        "--cluster",
                        "nats://127.0.0.1:" + NatsServers.freePort(),
                        "--secrets-key",
                        dir.resolve("secrets.key").toString(),
                        "--cluster-records-max-mib",
                        "4");
        assertThat(said).contains("the records stream needs at least 8 MiB");
    }

    /** A node with a secrets key of its own would seal what no other node opens (ADR 0054). */
    @Test
    void aClusterNodeWithoutTheSharedSecretsKeyDoesNotStart() throws Exception {
        String said = refusedStart("--cluster", "nats://127.0.0.1:" + 4222);
        assertThat(oneLine(said)).contains("--secrets-key FILE").contains("KILN_SECRETS_KEY_FILE");
    }

    /** Starts a node that must not start: it exits non-zero; its stderr, without a stack trace. */
    private String refusedStart(String... args) throws Exception {
        Path err = dir.resolve("err.log");
        Process p = kiln(dir.resolve("data"), err, args).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("exits").isTrue();
        assertThat(p.exitValue()).isNotZero();
        String said = Files.readString(err);
        assertThat(said).doesNotContain("\tat ");
        return said;
    }

    /** The one line {@code kiln serve:} said. */
    private static String oneLine(String said) {
        List<String> lines = said.lines().filter(l -> l.startsWith("kiln serve:")).toList();
        assertThat(lines).hasSize(1);
        return lines.get(0);
    }

    @Test
    void nodesSurviveAKilledNodeAndAKilledNatsServer() throws Exception {
        try (NatsServers nats = NatsServers.start(Files.createDirectories(dir.resolve("nats")), 3);
                TestHost a =
                        TestHost.start(
                                dir.resolve("node-a"),
                                c -> c.cluster(nats.settings("zone-1", "a")))) {
            Process child =
                    kiln(
                                    dir.resolve("node-c"),
                                    dir.resolve("c.log"),
                                    "--cluster",
                                    nats.urls(),
                                    "--zone",
                                    "zone-2",
                                    "--node-name",
                                    "c",
                                    "--secrets-key",
                                    nats.secretsKey().toString())
                            .start();
            try {
                int port = listeningPort(child);
                // deployed on the child process, run in this one
                HttpResponse<byte[]> created =
                        http.send(
                                HttpRequest.newBuilder(
                                                URI.create(
                                                        "http://127.0.0.1:"
                                                                + port
                                                                + "/api/v1/services/proc/functions/echo"))
                                        .header("Authorization", "Bearer " + TestHost.TOKEN)
                                        .header("Content-Type", "application/wasm")
                                        .PUT(
                                                HttpRequest.BodyPublishers.ofByteArray(
                                                        Wat.fixture("echo")))
                                        .build(),
                                HttpResponse.BodyHandlers.ofByteArray());
                assertThat(created.statusCode()).as(text(created)).isEqualTo(201);
                assertThat(text(a.invoke("proc", "echo", "from c"))).isEqualTo("from c");
                TestHost.await(
                        "a sees c serving",
                        Duration.ofSeconds(10),
                        () -> "serving".equals(stateOf(a, "c")));

                ProcessHandle.of(child.pid()).ifPresent(ProcessHandle::destroyForcibly);
                assertThat(child.waitFor(20, TimeUnit.SECONDS)).isTrue();
                TestHost.await(
                        "a sees c unreachable after kill -9",
                        Duration.ofSeconds(15),
                        () -> "unreachable".equals(stateOf(a, "c")));
            } finally {
                child.destroyForcibly();
            }

            // one of three NATS servers killed: the R3 buckets keep their data and take writes
            nats.server(0).kill();
            long killed = System.nanoTime();
            var last = new java.util.concurrent.atomic.AtomicReference<HttpResponse<byte[]>>();
            TestHost.await(
                    "a stores a new version with one NATS server gone",
                    Duration.ofSeconds(40),
                    () -> {
                        last.set(a.deploy("proc", "echo", Wat.fixture("uppercase")));
                        return last.get().statusCode() == 200;
                    });
            long stallMs = (System.nanoTime() - killed) / 1_000_000;
            assertThat(text(a.invoke("proc", "echo", "abc"))).isEqualTo("ABC");
            System.out.println(
                    "cluster: write stall after kill -9 of a NATS server: " + stallMs + " ms");
        }
    }

    private static String stateOf(TestHost node, String name) {
        for (JsonNode n : json(node.get("/api/v1/cluster")).path("nodes")) {
            if (n.path("name").asText().equals(name)) {
                return n.path("state").asText();
            }
        }
        return null;
    }

    /** {@code kiln serve} in a child JVM with this test's classpath; stderr to {@code err}. */
    static ProcessBuilder kiln(Path data, Path err, String... more) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("--sun-misc") || arg.startsWith("--enable-native-access")) {
                cmd.add(arg);
            }
        }
        cmd.addAll(
                List.of(
                        "-Xmx256m",
                        "-cp",
                        System.getProperty("java.class.path"),
                        "dev.kiln.host.cli.KilnCli",
                        "serve",
                        "--port",
                        "0",
                        "--data",
                        data.toString(),
                        // Nodes are started, killed and restarted under deadlines here; the warm-up
                        // before the port opens is KilnScriptTest's and ServeStartTest's to start.
                        "--warmup-requests",
                        "0"));
        cmd.addAll(List.of(more));
        var pb = new ProcessBuilder(cmd).redirectError(err.toFile());
        pb.environment().put("KILN_ADMIN_TOKEN", TestHost.TOKEN);
        pb.environment().put("KILN_LOG_FORMAT", "text");
        pb.environment().remove("KILN_SECRETS_KEY_FILE");
        return pb;
    }

    static int listeningPort(Process p) throws Exception {
        return ChildKiln.listeningPort(p, Duration.ofSeconds(90), "Kiln exited before listening");
    }
}
