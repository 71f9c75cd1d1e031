package dev.kiln.host.cluster;

import static dev.kiln.host.testing.TestHost.errorCode;
import static dev.kiln.host.testing.TestHost.json;
import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.host.core.Sha256;
import dev.kiln.host.testing.Closing;
import dev.kiln.host.testing.NatsServers;
import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two Kiln nodes on one JetStream server (a real nats-server process): the registry is shared, a
 * write answered on one node is what the other one reads and runs at once, and two nodes writing
 * one function at the same time cannot both win (docs/adr/0048).
 */
class ClusterRegistryTest {
    @TempDir static Path dir;
    static NatsServers nats;
    static TestHost a;
    static TestHost b;

    @BeforeAll
    static void start() throws Exception {
        nats = NatsServers.start(Files.createDirectories(dir.resolve("nats")), 1);
        a = node("a", "zone-1");
        b = node("b", "zone-2");
    }

    static TestHost node(String name, String zone) {
        return TestHost.start(
                dir.resolve("node-" + name), c -> c.cluster(nats.settings(zone, name)));
    }

    @AfterAll
    static void stop() {
        Closing.all(a, b, nats);
    }

    @Test
    void aFunctionDeployedOnOneNodeRunsOnTheOtherWithinASecondOfThe201() {
        byte[] echo = Wat.fixture("echo");
        HttpResponse<byte[]> created = a.deploy("first", "echo", echo);
        long answeredAt = System.nanoTime();
        assertThat(created.statusCode()).as(text(created)).isEqualTo(201);

        HttpResponse<byte[]> ran = b.invoke("first", "echo", "over there");
        long tookMs = (System.nanoTime() - answeredAt) / 1_000_000;

        assertThat(ran.statusCode()).as(text(ran)).isEqualTo(200);
        assertThat(text(ran)).isEqualTo("over there");
        // compiled on b for its first run (warm in this JVM: the compiled classes are shared)
        assertThat(ran.headers().firstValue("X-Kiln-Start").orElseThrow()).isIn("cold", "warm");
        assertThat(tookMs).as("deploy on a → invocable on b, ms").isLessThan(1000);
        // b fetched the bytes from the object store once and keeps them in its own data dir
        String sha = Sha256.hex(echo);
        assertThat(
                        dir.resolve("node-b")
                                .resolve("modules/sha256")
                                .resolve(sha.substring(0, 2))
                                .resolve(sha + ".wasm"))
                .exists();
        assertThat(b.invoke("first", "echo", "again").headers().firstValue("X-Kiln-Start"))
                .isNotEqualTo(java.util.Optional.of("cold"));
    }

    @Test
    void versionsAliasesAndDeletesOnOneNodeAreWhatTheOtherReadsAtOnce() {
        assertThat(a.deploy("second", "fn", Wat.fixture("echo")).statusCode()).isEqualTo(201);
        assertThat(a.deploy("second", "fn", Wat.fixture("uppercase")).statusCode()).isEqualTo(200);

        HttpResponse<byte[]> latest = b.invoke("second", "fn", "abc");
        assertThat(text(latest)).isEqualTo("ABC");
        assertThat(latest.headers().firstValue("X-Kiln-Version")).hasValue("2");

        HttpResponse<byte[]> alias =
                a.sendJson(
                        "PUT",
                        "/api/v1/services/second/functions/fn/aliases/stable",
                        "{\"version\":1}");
        assertThat(alias.statusCode()).as(text(alias)).isEqualTo(201);
        HttpResponse<byte[]> viaAlias =
                b.send(
                        b.request("/api/v1/services/second/functions/fn/invoke?qualifier=stable")
                                .header("Authorization", "Bearer " + TestHost.TOKEN)
                                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("abc"))
                                .build());
        assertThat(text(viaAlias)).isEqualTo("abc");
        JsonNode versions = json(b.get("/api/v1/services/second/functions/fn/versions"));
        assertThat(versions.toString()).contains("\"number\":2").contains("\"number\":1");

        assertThat(
                        a.send(a.admin("/api/v1/services/second/functions/fn").DELETE().build())
                                .statusCode())
                .isIn(200, 204);
        HttpResponse<byte[]> gone = b.invoke("second", "fn", "abc");
        assertThat(gone.statusCode()).isEqualTo(404);
        assertThat(errorCode(gone)).isEqualTo("function_not_found");

        // created again under the same name: a new function, none of the old versions
        assertThat(b.deploy("second", "fn", Wat.fixture("echo")).statusCode()).isEqualTo(201);
        JsonNode again = json(a.get("/api/v1/services/second/functions/fn/versions"));
        assertThat(again.toString()).contains("\"number\":1").doesNotContain("\"number\":2");
    }

    @Test
    void twoNodesChangingOneFunctionAtOnceNeverBothWin() throws Exception {
        assertThat(a.deploy("third", "fn", Wat.fixture("echo")).statusCode()).isEqualTo(201);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<HttpResponse<byte[]>>> answers = new ArrayList<>();
        try {
            for (int i = 0; i < 16; i++) {
                TestHost node = i % 2 == 0 ? a : b;
                int timeout = 1000 + i; // a code setting: each accepted change is a new version
                answers.add(
                        pool.submit(
                                () ->
                                        node.patch(
                                                "third", "fn", "{\"timeoutMs\":" + timeout + "}")));
            }
            int accepted = 0;
            for (var f : answers) {
                HttpResponse<byte[]> r = f.get();
                assertThat(r.statusCode()).as(text(r)).isIn(200, 409);
                if (r.statusCode() == 200) {
                    accepted++;
                } else {
                    assertThat(errorCode(r)).isEqualTo("conflict");
                }
            }
            List<Integer> onA = numbers(a);
            List<Integer> onB = numbers(b);
            assertThat(onA).isEqualTo(onB);
            // one version per accepted change, numbered without a gap or a repeat
            assertThat(onA).hasSize(accepted + 1);
            assertThat(onA.get(0)).isEqualTo(accepted + 1);
            assertThat(onA).doesNotHaveDuplicates();
        } finally {
            pool.shutdownNow();
        }
    }

    private static List<Integer> numbers(TestHost node) {
        List<Integer> out = new ArrayList<>();
        for (JsonNode v :
                json(node.get("/api/v1/services/third/functions/fn/versions")).path("versions")) {
            out.add(v.path("number").asInt());
        }
        return out;
    }

    @Test
    void theClusterListsBothNodesWithTheirZones() {
        TestHost.await(
                "both nodes in the list",
                Duration.ofSeconds(10),
                () -> json(a.get("/api/v1/cluster")).path("nodes").size() == 2);
        JsonNode cluster = json(a.get("/api/v1/cluster"));
        assertThat(cluster.path("mode").asText()).isEqualTo("nats");
        assertThat(cluster.path("node").asText()).isEqualTo("a");
        assertThat(cluster.path("writable").asBoolean()).isTrue();
        JsonNode self = cluster.path("nodes").get(0);
        assertThat(self.path("name").asText()).isEqualTo("a");
        assertThat(self.path("zone").asText()).isEqualTo("zone-1");
        assertThat(self.path("self").asBoolean()).isTrue();
        assertThat(self.path("state").asText()).isEqualTo("serving");
        JsonNode other = cluster.path("nodes").get(1);
        assertThat(other.path("name").asText()).isEqualTo("b");
        assertThat(other.path("zone").asText()).isEqualTo("zone-2");
        assertThat(other.path("self").asBoolean()).isFalse();
        assertThat(other.path("state").asText()).isEqualTo("serving");
        assertThat(other.path("capacity").asInt()).isPositive();
        assertThat(other.path("lastHeartbeat").asText()).isNotEmpty();
    }
}
