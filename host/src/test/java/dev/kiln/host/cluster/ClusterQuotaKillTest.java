package dev.kiln.host.cluster;

import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.testing.NatsServers;
import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of a Kiln node that held most of a service's rate quota (docs/adr/0058): the node left
 * takes the killed node's demand part back once its reports expire (1 s), and the whole figure once
 * its heartbeat is stale (6 s).
 */
@Tag("slow") // a Kiln process and a kill -9
class ClusterQuotaKillTest {
    static final int RATE = 20;

    @TempDir Path dir;

    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    final ExecutorService clients = Executors.newCachedThreadPool();

    @Test
    void theNodeLeftGetsTheKilledNodesShareBack() throws Exception {
        try (NatsServers nats = NatsServers.start(Files.createDirectories(dir.resolve("nats")), 1);
                TestHost a =
                        TestHost.start(
                                dir.resolve("node-a"),
                                c -> c.cluster(nats.settings("zone-1", "a")))) {
            Process child =
                    ClusterProcessTest.kiln(
                                    dir.resolve("node-c"),
                                    dir.resolve("c.log"),
                                    "--cluster",
                                    nats.urls(),
                                    "--node-name",
                                    "c",
                                    "--secrets-key",
                                    nats.secretsKey().toString())
                            .start();
            AtomicBoolean stop = new AtomicBoolean();
            try {
                int port = ClusterProcessTest.listeningPort(child);
                assertThat(a.deploy("k", "echo", Wat.fixture("echo")).statusCode()).isEqualTo(201);
                var put =
                        a.sendJson(
                                "PUT",
                                "/api/v1/services/k/quota",
                                "{\"maxInvocationsPerSecond\":" + RATE + "}");
                assertThat(put.statusCode()).as(text(put)).isEqualTo(200);
                // c floods (three clients), a asks a little (one call every 100 ms)
                for (int t = 0; t < 3; t++) {
                    var unused =
                            clients.submit(
                                    () -> {
                                        while (!stop.get()) {
                                            http.send(
                                                    HttpRequest.newBuilder(
                                                                    URI.create(
                                                                            "http://127.0.0.1:"
                                                                                    + port
                                                                                    + "/api/v1/services/k/functions/echo/invoke"))
                                                            .header(
                                                                    "Authorization",
                                                                    "Bearer " + TestHost.TOKEN)
                                                            .POST(
                                                                    HttpRequest.BodyPublishers
                                                                            .ofString("x"))
                                                            .build(),
                                                    HttpResponse.BodyHandlers.discarding());
                                        }
                                        return null;
                                    });
                }
                var unusedToo =
                        clients.submit(
                                () -> {
                                    while (!stop.get()) {
                                        a.invoke("k", "echo", "x");
                                        Thread.sleep(100);
                                    }
                                    return null;
                                });
                // c wants far more than the figure, a ~10/s: a has about its ask, c the rest
                TestHost.await(
                        "c's demand to count on a",
                        Duration.ofSeconds(30),
                        () -> {
                            double s = ClusterQuotaTest.share(a, "k", "rate");
                            return s > 0 && s < 0.75 * RATE;
                        });
                double before = ClusterQuotaTest.share(a, "k", "rate");
                ProcessHandle.of(child.pid()).ifPresent(ProcessHandle::destroyForcibly);
                assertThat(child.waitFor(20, TimeUnit.SECONDS)).isTrue();
                long killed = System.nanoTime();
                // a asks ~10/s and more once c is gone: its part grows past the even split
                TestHost.await(
                        "c's demand part back on a",
                        Duration.ofSeconds(10),
                        () -> ClusterQuotaTest.share(a, "k", "rate") >= 0.9 * RATE);
                double partBack = (System.nanoTime() - killed) / 1e9;
                TestHost.await(
                        "the whole figure on a",
                        Duration.ofSeconds(20),
                        () -> Math.abs(ClusterQuotaTest.share(a, "k", "rate") - RATE) < 0.01);
                double wholeBack = (System.nanoTime() - killed) / 1e9;
                System.out.printf(
                        "kill: a's share %.1f before, >= 90%% after %.2f s, all after %.2f s%n",
                        before, partBack, wholeBack);
                // the report expiry (1 s) and a tick; the heartbeat timeout (6 s) and a beat
                assertThat(partBack).isLessThan(4);
                assertThat(wholeBack).isLessThan(12);
            } finally {
                stop.set(true);
                clients.shutdownNow();
                child.destroyForcibly();
            }
        }
    }
}
