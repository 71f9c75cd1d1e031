package dev.kiln.host.http;

import static dev.kiln.host.testing.TestHost.errorCode;
import static dev.kiln.host.testing.TestHost.json;
import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.host.access.AccessLimits;
import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /api/v1/audit}: every management write with who, what, outcome; never a key. */
class AuditLogTest {
    @TempDir Path data;

    @Test
    void writesAreAuditedWithWhoWhatAndOutcomeReadsAreNot() throws Exception {
        String devKey;
        try (TestHost kiln = TestHost.start(data)) {
            Instant start = Instant.now();
            devKey = kiln.createKey("deployer", "developer", List.of("shop"));
            String viewer = kiln.createKey("watcher", "viewer", null);
            var deployed =
                    kiln.send(
                            kiln.as(devKey, "/api/v1/services/shop/functions/fn")
                                    .header("Content-Type", "application/wasm")
                                    .PUT(
                                            HttpRequest.BodyPublishers.ofByteArray(
                                                    Wat.fixture("echo")))
                                    .build());
            assertThat(deployed.statusCode()).isEqualTo(201);
            kiln.get("/api/v1/services/shop/functions/fn"); // a read: not audited
            kiln.invoke("shop", "fn", "x"); // an invocation: in the records, not the audit
            var refused =
                    kiln.send(
                            kiln.as(viewer, "/api/v1/services/shop/functions/fn")
                                    .method("DELETE", HttpRequest.BodyPublishers.noBody())
                                    .build());
            assertThat(refused.statusCode()).isEqualTo(403);
            var anonymous =
                    kiln.send(
                            kiln.request("/api/v1/keys")
                                    .POST(HttpRequest.BodyPublishers.ofString("{}"))
                                    .build());
            assertThat(anonymous.statusCode()).isEqualTo(401);

            var r = kiln.get("/api/v1/audit?since=" + start);
            assertThat(r.statusCode()).isEqualTo(200);
            JsonNode entries = json(r).path("entries");
            assertThat(entries).hasSize(5); // 2 key creations, upload, refused delete, 401
            JsonNode newest = entries.get(0);
            assertThat(newest.path("keyId").isNull()).isTrue();
            assertThat(newest.path("method").asText()).isEqualTo("POST");
            assertThat(newest.path("target").asText()).isEqualTo("/api/v1/keys");
            assertThat(newest.path("status").asInt()).isEqualTo(401);
            assertThat(newest.path("code").asText()).isEqualTo("unauthorized");
            assertThat(newest.path("clientIp").asText()).isIn("127.0.0.1", "0:0:0:0:0:0:0:1");
            // An ISO-8601 instant, not after now and not before the test began.
            Instant time = Instant.parse(newest.path("time").asText());
            assertThat(time).isBetween(start.minusSeconds(1), Instant.now());

            JsonNode delete = entries.get(1);
            assertThat(delete.path("keyName").asText()).isEqualTo("watcher");
            assertThat(delete.path("route").asText())
                    .isEqualTo("/api/v1/services/{service}/functions/{function}");
            assertThat(delete.path("status").asInt()).isEqualTo(403);
            assertThat(delete.path("code").asText()).isEqualTo("forbidden");

            JsonNode upload = entries.get(2);
            assertThat(upload.path("keyName").asText()).isEqualTo("deployer");
            assertThat(upload.path("keyId").asText()).matches("[0-9a-f]{16}");
            assertThat(upload.path("method").asText()).isEqualTo("PUT");
            assertThat(upload.path("target").asText())
                    .isEqualTo("/api/v1/services/shop/functions/fn");
            assertThat(upload.path("status").asInt()).isEqualTo(201);
            assertThat(upload.path("code").isNull()).isTrue();
            assertThat(upload.path("requestId").asText()).hasSize(26);
            assertThat(Instant.parse(upload.path("time").asText()))
                    .isAfterOrEqualTo(start.minusSeconds(1));

            assertThat(entries.get(4).path("keyId").asText()).isEqualTo("admin-token");
            assertThat(text(r)).doesNotContain(devKey).doesNotContain(TestHost.TOKEN);

            assertThat(json(kiln.get("/api/v1/audit?limit=2")).path("entries")).hasSize(2);
            assertThat(
                            json(kiln.get("/api/v1/audit?since=" + Instant.now().plusSeconds(60)))
                                    .path("entries"))
                    .isEmpty();
            for (String bad : List.of("limit=0", "limit=1001", "since=yesterday")) {
                var b = kiln.get("/api/v1/audit?" + bad);
                assertThat(b.statusCode()).as(bad).isEqualTo(400);
                assertThat(errorCode(b)).isEqualTo("bad_request");
            }
        }
        // Entries survive a restart; no key is written anywhere.
        try (TestHost kiln = TestHost.start(data)) {
            assertThat(json(kiln.get("/api/v1/audit")).path("entries")).hasSize(5);
        }
        assertThat(grepDataDir(devKey)).isEmpty();
        assertThat(grepDataDir(TestHost.TOKEN)).isEmpty();
    }

    @Test
    void retentionKeepsTheNewestEntries() throws Exception {
        var limits = new AccessLimits(20, Duration.ofMinutes(1), 100, 5, Duration.ofDays(1));
        try (TestHost kiln = TestHost.start(data, b -> b.accessLimits(limits))) {
            for (int i = 0; i < 12; i++) {
                kiln.send(
                        kiln.admin("/api/v1/keys/00000000000000" + String.format("%02d", i))
                                .method("DELETE", HttpRequest.BodyPublishers.noBody())
                                .build());
                // Read after each write: each lands in a batch of its own, pruned as it goes.
                kiln.get("/api/v1/audit?limit=1");
            }
            JsonNode entries = json(kiln.get("/api/v1/audit")).path("entries");
            assertThat(entries).hasSize(5);
            assertThat(entries.get(0).path("target").asText()).endsWith("0000000000000011");
            assertThat(entries.get(4).path("target").asText()).endsWith("0000000000000007");
        }
    }

    private List<Path> grepDataDir(String secret) throws Exception {
        byte[] needle = secret.getBytes(StandardCharsets.UTF_8);
        try (Stream<Path> files = Files.walk(data)) {
            return files.filter(Files::isRegularFile)
                    .filter(
                            f -> {
                                try {
                                    return ApiKeysTest.indexOf(Files.readAllBytes(f), needle) >= 0;
                                } catch (java.io.IOException e) {
                                    throw new java.io.UncheckedIOException(e);
                                }
                            })
                    .toList();
        }
    }
}
