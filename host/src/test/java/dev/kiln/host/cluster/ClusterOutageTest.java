package dev.kiln.host.cluster;

import static dev.kiln.host.testing.TestHost.errorCode;
import static dev.kiln.host.testing.TestHost.json;
import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.kv.KeyValueTest;
import dev.kiln.host.testing.NatsServers;
import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * NATS lost after start (its one server killed by PID, then started again on the same port and
 * store): the nodes keep serving the functions they have, refuse changes with 503 {@code
 * unavailable} (a guest's key-value call: unavailable, docs/adr/0055), and recover by themselves,
 * their watches included (docs/adr/0048); settings (keys, quotas, docs/adr/0054) likewise.
 */
class ClusterOutageTest {
    @TempDir Path dir;

    @Test
    void nodesServeWhatTheyHaveRefuseChangesAndRecoverWhenNatsComesBack() throws Exception {
        try (NatsServers nats = NatsServers.start(Files.createDirectories(dir.resolve("nats")), 1);
                TestHost a = node(nats, "a");
                TestHost b = node(nats, "b")) {
            assertThat(a.deploy("out", "echo", Wat.fixture("echo")).statusCode()).isEqualTo(201);
            assertThat(text(b.invoke("out", "echo", "warm"))).isEqualTo("warm");
            KeyValueTest.deployProbe(a, "out", "counter");
            assertThat(KeyValueTest.call(b, "out", "counter", KeyValueTest.utf8("n")).sum())
                    .isEqualTo(1);
            String key = a.createKey("reader", "viewer", null);

            nats.server(0).kill();
            TestHost.await(
                    "a notices the outage",
                    Duration.ofSeconds(20),
                    () -> !json(a.get("/api/v1/cluster")).path("writable").asBoolean());

            // what each node has keeps running: a has the code from its upload, b fetched it
            for (TestHost node : new TestHost[] {a, b}) {
                HttpResponse<byte[]> ran = node.invoke("out", "echo", "still here");
                assertThat(ran.statusCode()).as(text(ran)).isEqualTo(200);
                assertThat(text(ran)).isEqualTo("still here");
            }
            HttpResponse<byte[]> refused = a.deploy("out", "echo", Wat.fixture("uppercase"));
            assertThat(refused.statusCode()).isEqualTo(503);
            assertThat(errorCode(refused)).isEqualTo("unavailable");
            assertThat(json(refused).path("error").path("message").asText())
                    .contains("unreachable")
                    .doesNotContain("Exception");
            assertThat(json(a.get("/api/v1/cluster")).path("nodes").get(0).path("state").asText())
                    .isEqualTo("disconnected");
            // the refused upload changed nothing
            assertThat(text(a.invoke("out", "echo", "same"))).isEqualTo("same");
            // the key-value store lives in NATS: a guest's call is unavailable (-5) and the
            // invocation itself still answers; the admin API says 503 unavailable
            for (TestHost node : new TestHost[] {a, b}) {
                var kv = KeyValueTest.call(node, "out", "counter", KeyValueTest.utf8("n"));
                assertThat(kv.rc()).isEqualTo(-5);
            }
            HttpResponse<byte[]> kvRead = b.get("/api/v1/services/out/kv/n");
            assertThat(kvRead.statusCode()).isEqualTo(503);
            assertThat(errorCode(kvRead)).isEqualTo("unavailable");
            // settings too (docs/adr/0054): read from each node's copy, changes refused
            assertThat(b.send(b.as(key, "/api/v1/limits").GET().build()).statusCode())
                    .isEqualTo(200);
            HttpResponse<byte[]> noQuota =
                    b.sendJson("PUT", "/api/v1/services/out/quota", "{\"maxFunctions\":5}");
            assertThat(noQuota.statusCode()).as(text(noQuota)).isEqualTo(503);
            assertThat(errorCode(noQuota)).isEqualTo("unavailable");

            long down = System.nanoTime();
            nats.server(0).restart();
            TestHost.await(
                    "a writable again",
                    Duration.ofSeconds(30),
                    () -> json(a.get("/api/v1/cluster")).path("writable").asBoolean());
            long recoveredMs = (System.nanoTime() - down) / 1_000_000;
            HttpResponse<byte[]> after = a.deploy("out", "echo", Wat.fixture("uppercase"));
            assertThat(after.statusCode()).as(text(after)).isEqualTo(200);
            // b's watch came back too: it runs what a just stored
            TestHost.await(
                    "b runs version 2",
                    Duration.ofSeconds(10),
                    () -> text(b.invoke("out", "echo", "abc")).equals("ABC"));
            // the counter is where it was before the outage
            assertThat(KeyValueTest.call(b, "out", "counter", KeyValueTest.utf8("n")).sum())
                    .isEqualTo(2);
            // and its documents watch: a quota set on a is b's at once
            HttpResponse<byte[]> quota =
                    a.sendJson("PUT", "/api/v1/services/out/quota", "{\"maxFunctions\":5}");
            assertThat(quota.statusCode()).as(text(quota)).isEqualTo(200);
            assertThat(json(b.get("/api/v1/services/out/quota")).path("maxFunctions").asInt())
                    .isEqualTo(5);
            assertThat(recoveredMs).as("restart to writable, ms").isLessThan(30_000);
        }
    }

    private TestHost node(NatsServers nats, String name) {
        return TestHost.start(
                dir.resolve("node-" + name), c -> c.cluster(nats.settings("z", name)));
    }
}
