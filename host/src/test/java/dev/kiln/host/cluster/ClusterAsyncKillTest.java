package dev.kiln.host.cluster;

import static dev.kiln.host.testing.TestHost.json;
import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of the Kiln node that accepted an async event (202) and was running it: the event runs on
 * another node once JetStream's ack wait has passed, and that run is its second attempt (the lost
 * one counts, as on a single node that crashes during an attempt). docs/adr/0053.
 */
@Tag("slow") // a Kiln process and a kill -9
class ClusterAsyncKillTest {
    static final String FN = "/api/v1/services/jobs/functions/";

    @TempDir Path dir;

    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    HttpResponse<byte[]> send(int port, String method, String path, byte[] body, String... headers)
            throws Exception {
        var b =
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .header("Authorization", "Bearer " + TestHost.TOKEN)
                        .method(method, HttpRequest.BodyPublishers.ofByteArray(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void anEventHeldByAKilledNodeRunsOnAnotherNode() throws Exception {
        try (NatsServers nats =
                NatsServers.start(Files.createDirectories(dir.resolve("nats")), 1)) {
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
            String id;
            try {
                int port = ClusterProcessTest.listeningPort(child);
                var created =
                        send(
                                port,
                                "PUT",
                                FN + "sleepy",
                                Wat.fixture("sleepy"),
                                "Content-Type",
                                "application/wasm");
                assertThat(created.statusCode()).as(text(created)).isEqualTo(201);
                // sleepy spends fuel as fast as the machine runs it; the derived budget (10 s of
                // timeout) is a second of spinning on a fast machine
                var patched =
                        send(
                                port,
                                "PATCH",
                                FN + "sleepy",
                                "{\"fuel\":1000000000000}"
                                        .getBytes(java.nio.charset.StandardCharsets.UTF_8),
                                "Content-Type",
                                "application/json");
                assertThat(patched.statusCode()).as(text(patched)).isEqualTo(200);
                // an attempt of 1 s: long enough to be running when the node dies
                var accepted =
                        send(
                                port,
                                "POST",
                                FN + "sleepy/invoke",
                                "1000".getBytes(java.nio.charset.StandardCharsets.UTF_8),
                                "X-Kiln-Invocation-Type",
                                "async");
                assertThat(accepted.statusCode()).as(text(accepted)).isEqualTo(202);
                id = json(accepted).path("requestId").asText();
                TestHost.await(
                        "node c running the event",
                        Duration.ofSeconds(20),
                        () -> {
                            try {
                                return json(send(port, "GET", FN + "sleepy/queue", new byte[0]))
                                                .path("inFlight")
                                                .asInt()
                                        == 1;
                            } catch (Exception e) {
                                throw new AssertionError(e);
                            }
                        });
                ProcessHandle.of(child.pid()).ifPresent(ProcessHandle::destroyForcibly);
                assertThat(child.waitFor(20, TimeUnit.SECONDS)).isTrue();
            } finally {
                child.destroyForcibly();
            }

            try (TestHost a =
                    TestHost.start(
                            dir.resolve("node-a"), c -> c.cluster(nats.settings("zone-1", "a")))) {
                JsonNode[] record = {null};
                TestHost.await(
                        "the event to run on node a",
                        Duration.ofSeconds(60),
                        () -> {
                            a.host().flushRecords();
                            var r = a.get(FN + "sleepy/invocations/" + id);
                            if (r.statusCode() != 200) {
                                return false;
                            }
                            record[0] = json(r);
                            return true;
                        });
                assertThat(record[0].path("outcome").asText()).isEqualTo("ok");
                assertThat(record[0].path("attempt").asInt()).isEqualTo(2);
                TestHost.await(
                        "the queue to drain",
                        Duration.ofSeconds(10),
                        () -> json(a.get(FN + "sleepy/queue")).path("succeeded").asInt() == 1);
                assertThat(json(a.get(FN + "sleepy/queue")).path("depth").asInt()).isZero();
            }
        }
    }
}
