package dev.kiln.host.cluster;

import static dev.kiln.host.testing.TestHost.await;
import static dev.kiln.host.testing.TestHost.json;
import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.host.testing.Closing;
import dev.kiln.host.testing.NatsServers;
import dev.kiln.host.testing.TestHost;
import io.nats.client.Connection;
import io.nats.client.Nats;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audit log of a cluster (docs/adr/0058): a management write on one node shows in every node's
 * {@code GET /api/v1/audit}, from the stream {@code KILN_AUDIT}, newest first, with limit and since
 * as on one node; the stream keeps what the audit retention says.
 */
class ClusterAuditTest {
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
    void aKeyCreatedOnOneNodeShowsInTheOtherNodesAuditLog() throws Exception {
        Instant start = Instant.now();
        String key = a.createKey("from-a", "viewer", null);
        String id = key.substring("kiln_k_".length(), "kiln_k_".length() + 16);
        // a's own listing waits for its own writer: the entry is there at once
        JsonNode onA = json(a.get("/api/v1/audit?since=" + start)).path("entries");
        assertThat(onA.toString()).contains("\"target\":\"/api/v1/keys\"");
        await(
                "a's entry on b",
                Duration.ofSeconds(10),
                () ->
                        json(b.get("/api/v1/audit?since=" + start))
                                .path("entries")
                                .toString()
                                .contains("\"target\":\"/api/v1/keys\""));

        // and the other way: b revokes the key, a lists it above the creation
        var revoked = b.send(b.admin("/api/v1/keys/" + id).DELETE().build());
        assertThat(revoked.statusCode()).as(text(revoked)).isEqualTo(204);
        await(
                "b's entry on a",
                Duration.ofSeconds(10),
                () -> json(a.get("/api/v1/audit?since=" + start)).path("entries").size() == 2);
        JsonNode entries = json(a.get("/api/v1/audit?since=" + start)).path("entries");
        assertThat(entries.get(0).path("method").asText()).isEqualTo("DELETE");
        assertThat(entries.get(0).path("target").asText()).isEqualTo("/api/v1/keys/" + id);
        assertThat(entries.get(0).path("status").asInt()).isEqualTo(204);
        assertThat(entries.get(0).path("keyId").asText()).isEqualTo("admin-token");
        assertThat(entries.get(0).path("requestId").asText()).hasSize(26);
        assertThat(Instant.parse(entries.get(0).path("time").asText()))
                .isBetween(start.minusSeconds(1), Instant.now());
        assertThat(entries.get(1).path("method").asText()).isEqualTo("POST");
        assertThat(entries.get(1).path("status").asInt()).isEqualTo(201);
        // both nodes list the same, in the same order; never the key itself
        assertThat(json(b.get("/api/v1/audit?since=" + start)).path("entries")).isEqualTo(entries);
        assertThat(text(b.get("/api/v1/audit"))).doesNotContain(key);

        // limit takes the newest; since after the last entry: none
        JsonNode one = json(b.get("/api/v1/audit?limit=1")).path("entries");
        assertThat(one).hasSize(1);
        assertThat(one.get(0)).isEqualTo(entries.get(0));
        assertThat(
                        json(b.get("/api/v1/audit?since=" + Instant.now().plusSeconds(60)))
                                .path("entries"))
                .isEmpty();
    }

    @Test
    void theStreamKeepsWhatTheAuditRetentionSays() throws Exception {
        Connection nc = Nats.connect(nats.server(0).url());
        try {
            var config =
                    nc.jetStreamManagement().getStreamInfo(AuditStream.STREAM).getConfiguration();
            var limits = dev.kiln.host.access.AccessLimits.DEFAULTS;
            assertThat(config.getMaxAge()).isEqualTo(limits.auditMaxAge());
            assertThat(config.getMaxMsgs()).isEqualTo(limits.auditMaxEntries());
            assertThat(config.getSubjects()).containsExactly(AuditStream.SUBJECTS);
        } finally {
            nc.close();
        }
        // a refused write is audited and shared too
        var refused =
                b.send(
                        b.request("/api/v1/keys")
                                .POST(HttpRequest.BodyPublishers.ofString("{}"))
                                .build());
        assertThat(refused.statusCode()).isEqualTo(401);
        await(
                "the refusal on a",
                Duration.ofSeconds(10),
                () ->
                        json(a.get("/api/v1/audit?limit=1"))
                                .path("entries")
                                .path(0)
                                .path("code")
                                .asText()
                                .equals("unauthorized"));
    }
}
