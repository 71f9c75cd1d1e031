package dev.kiln.host.cluster;

import static dev.kiln.host.testing.TestHost.errorCode;
import static dev.kiln.host.testing.TestHost.json;
import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.testing.Closing;
import dev.kiln.host.testing.NatsServers;
import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import io.nats.client.Connection;
import io.nats.client.Nats;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two Kiln nodes on one JetStream server: API keys, quotas, routes and secrets changed on one node
 * are what the other one enforces and serves as soon as the change is answered (docs/adr/0054).
 * Triggers, timers and async settings across nodes are in {@link ClusterAsyncTest}.
 */
class ClusterDocumentsTest {
    static final String FN = "/api/v1/services/";

    @TempDir static Path dir;
    static NatsServers nats;
    static TestHost a;
    static TestHost b;

    @BeforeAll
    static void start() {
        nats = NatsServers.start(dir.resolve("nats"), 1);
        a = TestHost.start(dir.resolve("node-a"), c -> c.cluster(nats.settings("zone-1", "a")));
        b = TestHost.start(dir.resolve("node-b"), c -> c.cluster(nats.settings("zone-1", "b")));
    }

    @AfterAll
    static void stop() {
        Closing.all(a, b, nats);
    }

    @Test
    void aKeyCreatedOnOneNodeWorksOnTheOtherAndARevokeThereStopsItAtOnce() {
        String key = a.createKey("ops", "viewer", null);
        HttpResponse<byte[]> onB = b.send(b.as(key, "/api/v1/limits").GET().build());
        assertThat(onB.statusCode()).as(text(onB)).isEqualTo(200);
        String id = key.substring("kiln_k_".length(), "kiln_k_".length() + 16);
        assertThat(json(b.get("/api/v1/keys")).toString()).contains(id);

        HttpResponse<byte[]> revoked = a.send(a.admin("/api/v1/keys/" + id).DELETE().build());
        assertThat(revoked.statusCode()).as(text(revoked)).isEqualTo(204);
        // the very next request on the other node is refused: no wait, no retry
        HttpResponse<byte[]> refused = b.send(b.as(key, "/api/v1/limits").GET().build());
        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(errorCode(refused)).isEqualTo("unauthorized");
        assertThat(json(b.get("/api/v1/keys")).toString()).doesNotContain(id);
    }

    @Test
    void aQuotaSetOnOneNodeIsEnforcedOnTheOther() {
        var put = a.sendJson("PUT", FN + "capped/quota", "{\"maxFunctions\":1}");
        assertThat(put.statusCode()).as(text(put)).isEqualTo(200);
        assertThat(b.deploy("capped", "one", Wat.fixture("echo")).statusCode()).isEqualTo(201);
        HttpResponse<byte[]> second = b.deploy("capped", "two", Wat.fixture("echo"));
        assertThat(errorCode(second)).as(text(second)).isEqualTo("quota_exceeded");

        // lifted on b: a deploys at once
        var lifted = b.send(b.admin(FN + "capped/quota").DELETE().build());
        assertThat(lifted.statusCode()).isEqualTo(204);
        assertThat(a.deploy("capped", "two", Wat.fixture("echo")).statusCode()).isEqualTo(201);
    }

    @Test
    void aRoutePutOnOneNodeIsServedByTheOther() throws IOException {
        assertThat(a.deploy("web", "site", Wat.fixture("route_probe")).statusCode()).isEqualTo(201);
        assertThat(a.patch("web", "site", "{\"env\":{\"tag\":\"site\"}}").statusCode())
                .isEqualTo(200);
        var route =
                a.sendJson(
                        "PUT",
                        "/api/v1/routes/web-site",
                        "{\"host\":\"web.example.com\",\"pathPrefix\":\"/\",\"service\":\"web\","
                                + "\"function\":\"site\"}");
        assertThat(route.statusCode()).as(text(route)).isEqualTo(201);

        assertThat(hostGet(b, "web.example.com", "/cart?x=1")).isEqualTo("200 site\n/cart\nx=1\n");

        var gone = a.send(a.admin("/api/v1/routes/web-site").DELETE().build());
        assertThat(gone.statusCode()).isEqualTo(204);
        assertThat(hostGet(b, "web.example.com", "/cart")).startsWith("404 ");
        // put again where it was deleted, from the other node: a serves it
        var again =
                b.sendJson(
                        "PUT",
                        "/api/v1/routes/web-site",
                        "{\"host\":\"web.example.com\",\"pathPrefix\":\"/shop\","
                                + "\"service\":\"web\",\"function\":\"site\"}");
        assertThat(again.statusCode()).as(text(again)).isEqualTo(201);
        assertThat(hostGet(a, "web.example.com", "/shop/x")).isEqualTo("200 site\n/x\n\n");
    }

    @Test
    void aSecretSetOnOneNodeIsReadByAFunctionInvokedOnTheOther() throws Exception {
        assertThat(a.deploy("shop", "greet", Wat.fixture("config")).statusCode()).isEqualTo(201);
        var set = a.patch("shop", "greet", "{\"secrets\":{\"GREETING\":\"sealed hello\"}}");
        assertThat(set.statusCode()).as(text(set)).isEqualTo(200);

        HttpResponse<byte[]> ran = b.invoke("shop", "greet", "b");
        assertThat(text(ran)).isEqualTo("sealed hello, b");
        assertThat(json(b.get(FN + "shop/functions/greet")).path("secrets").toString())
                .contains("GREETING");

        // sealed in the bucket: the value is nowhere in what NATS stores
        assertThat(storedSecrets()).contains("GREETING").doesNotContain("sealed hello");

        var deleted = b.patch("shop", "greet", "{\"secrets\":{\"GREETING\":null}}");
        assertThat(deleted.statusCode()).isEqualTo(200);
        assertThat(text(a.invoke("shop", "greet", "a"))).isEqualTo("no greeting");
    }

    /** The secrets documents as the bucket holds them. */
    static String storedSecrets() throws Exception {
        Connection nc = Nats.connect(nats.server(0).url());
        try {
            var kv = nc.keyValue(Buckets.DOCUMENTS);
            StringBuilder stored = new StringBuilder();
            for (String k : kv.keys()) {
                if (k.startsWith("secrets.")) {
                    stored.append(new String(kv.get(k).getValue(), StandardCharsets.UTF_8));
                }
            }
            return stored.toString();
        } finally {
            nc.close();
        }
    }

    /** {@code GET target} with {@code Host: host} on node {@code n}: "status body". */
    static String hostGet(TestHost n, String host, String target) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), n.host().port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream()
                    .write(
                            ("GET "
                                            + target
                                            + " HTTP/1.1\r\nHost: "
                                            + host
                                            + "\r\nConnection: close\r\n\r\n")
                                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            var out = new ByteArrayOutputStream();
            in.transferTo(out);
            String reply = out.toString(StandardCharsets.UTF_8);
            String status = reply.substring(reply.indexOf(' ') + 1, reply.indexOf(' ') + 4);
            return status + " " + reply.substring(reply.indexOf("\r\n\r\n") + 4);
        }
    }
}
