package dev.kiln.host.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.host.testing.ChildKiln;
import dev.kiln.host.testing.Wat;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash safety with a real process: Kiln runs as a child JVM; events are published and every 202 is
 * collected; the child is killed with SIGKILL mid-stream and started again on the same data
 * directory. Every acknowledged event must then be delivered (an ok invocation record); events that
 * ran more than once are counted and reported.
 */
@Tag("slow") // two Kiln processes and a kill -9 under load
class DurabilityTest {
    static final String TOKEN = "durability-token";
    static final ObjectMapper JSON = new ObjectMapper();
    static final int PUBLISHES = 2_000;
    static final int KILL_AFTER = 1_000;
    @TempDir Path dir;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** A Kiln child process and the port it listens on. */
    record Child(Process process, int port) {}

    @Test
    void everyAcknowledgedEventIsDeliveredAfterKillDashNine() throws Exception {
        Path data = dir.resolve("data");
        Child first = startKiln(data, dir.resolve("first.log"));
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        var enoughAcknowledged = new CountDownLatch(KILL_AFTER);
        int queuedAtRestart;
        try {
            String base = "http://127.0.0.1:" + first.port();
            send(
                    first,
                    "PUT",
                    "/api/v1/services/dur/functions/sink",
                    "application/wasm",
                    Wat.fixture("busy"));
            send(
                    first,
                    "POST",
                    "/api/v1/services/dur/functions/sink/triggers",
                    "application/json",
                    "{\"type\":\"topic\",\"topic\":\"durability\"}"
                            .getBytes(StandardCharsets.UTF_8));

            AtomicBoolean killed = new AtomicBoolean();
            List<CompletableFuture<Void>> publishers = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int lane = t;
                publishers.add(
                        CompletableFuture.runAsync(
                                () -> {
                                    for (int i = lane; i < PUBLISHES && !killed.get(); i += 8) {
                                        try {
                                            var r =
                                                    http.send(
                                                            HttpRequest.newBuilder(
                                                                            URI.create(
                                                                                    base
                                                                                            + "/api/v1/topics/durability/events"))
                                                                    .header(
                                                                            "Authorization",
                                                                            "Bearer " + TOKEN)
                                                                    .timeout(Duration.ofSeconds(10))
                                                                    .POST(
                                                                            HttpRequest
                                                                                    .BodyPublishers
                                                                                    .ofString(
                                                                                            "{\"n\":"
                                                                                                    + i
                                                                                                    + "}"))
                                                                    .build(),
                                                            HttpResponse.BodyHandlers
                                                                    .ofByteArray());
                                            if (r.statusCode() == 202) {
                                                JsonNode p = JSON.readTree(r.body());
                                                acknowledged.add(
                                                        p.path("deliveries")
                                                                .get(0)
                                                                .path("requestId")
                                                                .asText());
                                                enoughAcknowledged.countDown();
                                            }
                                        } catch (IOException e) {
                                            return; // the process is gone: no acknowledgement
                                        } catch (InterruptedException e) {
                                            Thread.currentThread().interrupt();
                                            return;
                                        }
                                    }
                                }));
            }
            // Bounded: publishers that stop early (a refused publish, a dead child) must fail
            // the test, not hang it.
            assertThat(enoughAcknowledged.await(120, TimeUnit.SECONDS))
                    .as("%d publishes acknowledged within 120 s", KILL_AFTER)
                    .isTrue();
            first.process().destroyForcibly(); // SIGKILL: no shutdown hook runs
            killed.set(true);
            assertThat(first.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
            CompletableFuture.allOf(publishers.toArray(CompletableFuture[]::new))
                    .get(60, TimeUnit.SECONDS);
        } finally {
            first.process().destroyForcibly();
        }

        Child second = startKiln(data, dir.resolve("second.log"));
        try {
            queuedAtRestart = queue(second).path("depth").asInt();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (queue(second).path("depth").asInt() > 0) {
                assertThat(System.nanoTime()).as("the queue drains").isLessThan(deadline);
                Thread.sleep(50);
            }
            int delivered = 0;
            int reRun = 0;
            List<String> lost = new ArrayList<>();
            for (String id : acknowledged) {
                var r = get(second, "/api/v1/services/dur/functions/sink/invocations/" + id);
                JsonNode rec = r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
                if (rec != null && rec.path("outcome").asText().equals("ok")) {
                    delivered++;
                    if (rec.path("attempt").asInt() > 1) {
                        reRun++;
                    }
                } else {
                    lost.add(id);
                }
            }
            System.out.printf(
                    "durability: %d acknowledged, %d delivered, %d lost, %d queued at restart,"
                            + " %d run more than once (upper bound on duplicates)%n",
                    acknowledged.size(), delivered, lost.size(), queuedAtRestart, reRun);
            Files.writeString(
                    Path.of("target", "durability-report.txt"),
                    "acknowledged="
                            + acknowledged.size()
                            + " delivered="
                            + delivered
                            + " lost="
                            + lost.size()
                            + " queuedAtRestart="
                            + queuedAtRestart
                            + " runMoreThanOnce="
                            + reRun
                            + "\n");
            assertThat(acknowledged).hasSizeGreaterThanOrEqualTo(KILL_AFTER);
            assertThat(lost).as("acknowledged events without an ok delivery").isEmpty();
            assertThat(delivered).isEqualTo(acknowledged.size());
        } finally {
            second.process().destroyForcibly();
            second.process().waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** Starts {@code kiln serve} in a child JVM with this test's classpath. */
    Child startKiln(Path data, Path log) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("--sun-misc") || arg.startsWith("--enable-native-access")) {
                cmd.add(arg);
            }
        }
        cmd.addAll(
                List.of(
                        "-Xmx512m",
                        "-cp",
                        System.getProperty("java.class.path"),
                        "dev.kiln.host.cli.KilnCli",
                        "serve",
                        "--port",
                        "0",
                        "--data",
                        data.toString(),
                        "--async-workers",
                        "2",
                        "--records-per-function",
                        "100000",
                        // Restarts are what this test is about, not how fast the first requests
                        // after one are: KilnScriptTest and ServeStartTest start with the warm-up.
                        "--warmup-requests",
                        "0"));
        var pb = new ProcessBuilder(cmd).redirectError(log.toFile());
        pb.environment().put("KILN_ADMIN_TOKEN", TOKEN);
        pb.environment().put("KILN_LOG_FORMAT", "TEXT");
        Process p = pb.start();
        try {
            return new Child(
                    p,
                    ChildKiln.listeningPort(
                            p, Duration.ofSeconds(60), "Kiln exited before listening; see " + log));
        } catch (Exception e) {
            p.destroyForcibly();
            throw e;
        }
    }

    HttpResponse<byte[]> send(Child c, String method, String path, String type, byte[] body)
            throws Exception {
        var r =
                http.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + c.port() + path))
                                .header("Authorization", "Bearer " + TOKEN)
                                .header("Content-Type", type)
                                .method(method, HttpRequest.BodyPublishers.ofByteArray(body))
                                .build(),
                        HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).as(new String(r.body(), StandardCharsets.UTF_8)).isIn(200, 201);
        return r;
    }

    HttpResponse<byte[]> get(Child c, String path) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + c.port() + path))
                        .header("Authorization", "Bearer " + TOKEN)
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    JsonNode queue(Child c) throws Exception {
        return JSON.readTree(get(c, "/api/v1/services/dur/functions/sink/queue").body());
    }
}
