package dev.kiln.host.http;

import static dev.kiln.host.testing.TestHost.errorCode;
import static dev.kiln.host.testing.TestHost.json;
import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code /api/v1/keys}: shapes, secrets shown once and stored hashed, revocation, bad input. */
class ApiKeysTest {
    @TempDir Path data;

    @Test
    void createdKeyIsShownOnceWorksAndIsRevokedOnTheNextRequest() throws Exception {
        String secret;
        String id;
        try (TestHost kiln = TestHost.start(data)) {
            var created =
                    kiln.sendJson(
                            "POST",
                            "/api/v1/keys",
                            "{\"name\":\"ci deploys\",\"role\":\"developer\","
                                    + "\"services\":[\"shop\",\"shop-*\"]}");
            assertThat(created.statusCode()).isEqualTo(201);
            JsonNode k = json(created);
            id = k.path("id").asText();
            secret = k.path("key").asText();
            assertThat(id).matches("[0-9a-f]{16}");
            assertThat(secret).startsWith("kiln_k_" + id + "_").hasSizeGreaterThan(60);
            assertThat(k.path("name").asText()).isEqualTo("ci deploys");
            assertThat(k.path("role").asText()).isEqualTo("developer");
            assertThat(k.path("services").toString()).isEqualTo("[\"shop\",\"shop-*\"]");

            var listed = kiln.get("/api/v1/keys");
            assertThat(listed.statusCode()).isEqualTo(200);
            assertThat(text(listed)).doesNotContain(secret).doesNotContain(secret.substring(24));
            assertThat(json(listed).path("keys").get(0).path("id").asText())
                    .isEqualTo("admin-token");
            assertThat(json(listed).path("keys").get(0).path("builtin").asBoolean()).isTrue();
            assertThat(json(listed).path("keys").get(1).path("id").asText()).isEqualTo(id);

            assertThat(kiln.deploy("shop-eu", "fn", Wat.fixture("echo")).statusCode())
                    .isEqualTo(201);
            var asKey = kiln.send(kiln.as(secret, "/api/v1/services/shop-eu/functions").build());
            assertThat(asKey.statusCode()).isEqualTo(200);
        }
        // The secret is nowhere in the data directory; its hash is.
        assertThat(dataDirContains(secret)).isFalse();
        try (TestHost kiln = TestHost.start(data)) {
            // Keys survive a restart.
            assertThat(
                            kiln.send(kiln.as(secret, "/api/v1/services/shop-eu/functions").build())
                                    .statusCode())
                    .isEqualTo(200);
            var deleted =
                    kiln.send(
                            kiln.admin("/api/v1/keys/" + id)
                                    .method("DELETE", HttpRequest.BodyPublishers.noBody())
                                    .build());
            assertThat(deleted.statusCode()).isEqualTo(204);
            var after = kiln.send(kiln.as(secret, "/api/v1/services/shop-eu/functions").build());
            assertThat(after.statusCode()).isEqualTo(401);
            assertThat(errorCode(after)).isEqualTo("unauthorized");
            var again =
                    kiln.send(
                            kiln.admin("/api/v1/keys/" + id)
                                    .method("DELETE", HttpRequest.BodyPublishers.noBody())
                                    .build());
            assertThat(again.statusCode()).isEqualTo(404);
        }
        try (TestHost kiln = TestHost.start(data)) {
            assertThat(
                            kiln.send(kiln.as(secret, "/api/v1/services/shop-eu/functions").build())
                                    .statusCode())
                    .isEqualTo(401);
        }
    }

    @Test
    void badInputNamesTheFieldAndTheBootstrapTokenCannotBeDeleted() {
        try (TestHost kiln = TestHost.start(data)) {
            record Bad(String body, String field) {}
            for (Bad b :
                    List.of(
                            new Bad("{\"name\":\"x\",\"role\":\"root\"}", "role"),
                            new Bad("{\"name\":\"x\"}", "role"),
                            new Bad("{\"role\":\"viewer\"}", "name"),
                            new Bad("{\"name\":\"\",\"role\":\"viewer\"}", "name"),
                            new Bad(
                                    "{\"name\":\"x\",\"role\":\"viewer\",\"services\":[\"Shop!\"]}",
                                    "services[0]"),
                            new Bad(
                                    "{\"name\":\"x\",\"role\":\"viewer\",\"services\":[\"a\",\"*b\"]}",
                                    "services[1]"),
                            new Bad(
                                    "{\"name\":\"x\",\"role\":\"viewer\",\"services\":[\"a*b\"]}",
                                    "services[0]"),
                            new Bad(
                                    "{\"name\":\"x\",\"role\":\"viewer\",\"services\":[]}",
                                    "services"),
                            new Bad(
                                    "{\"name\":\"x\",\"role\":\"viewer\",\"services\":\"shop\"}",
                                    "services"),
                            new Bad(
                                    "{\"name\":\"x\",\"role\":\"admin\",\"services\":[\"shop\"]}",
                                    "services"),
                            new Bad("{\"name\":\"x\",\"role\":\"viewer\",\"scope\":1}", "scope"),
                            new Bad("[1]", "body"))) {
                var r = kiln.sendJson("POST", "/api/v1/keys", b.body());
                assertThat(r.statusCode()).as(b.body()).isEqualTo(400);
                assertThat(errorCode(r)).isEqualTo("bad_request");
                assertThat(json(r).path("error").path("message").asText())
                        .as(b.body())
                        .startsWith(b.field().equals("body") ? "the body" : b.field() + ":");
            }
            var last =
                    kiln.send(
                            kiln.admin("/api/v1/keys/admin-token")
                                    .method("DELETE", HttpRequest.BodyPublishers.noBody())
                                    .build());
            assertThat(last.statusCode()).isEqualTo(409);
            assertThat(errorCode(last)).isEqualTo("conflict");
            // Only the admin token remains: it still works, and the host still serves.
            assertThat(kiln.get("/api/v1/keys").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void scopedKeysSeeTheirServicesOnlyAndCannotReachOthersThroughSettings() {
        try (TestHost kiln = TestHost.start(data)) {
            for (String s : List.of("shop", "shop-eu", "billing")) {
                assertThat(kiln.deploy(s, "fn", Wat.fixture("echo")).statusCode()).isEqualTo(201);
            }
            String dev = kiln.createKey("dev", "developer", List.of("shop-*"));
            var list = kiln.send(kiln.as(dev, "/api/v1/services").build());
            assertThat(json(list).path("services").toString()).isEqualTo("[\"shop-eu\"]");

            // A destination in another service would run that service's function.
            var cross =
                    kiln.send(
                            kiln.as(dev, "/api/v1/services/shop-eu/functions/fn/async-config")
                                    .header("Content-Type", "application/json")
                                    .PUT(
                                            HttpRequest.BodyPublishers.ofString(
                                                    "{\"onSuccess\":{\"type\":\"function\","
                                                            + "\"service\":\"billing\","
                                                            + "\"function\":\"fn\"}}"))
                                    .build());
            assertThat(cross.statusCode()).as(text(cross)).isEqualTo(403);
            assertThat(errorCode(cross)).isEqualTo("forbidden");
            var own =
                    kiln.send(
                            kiln.as(dev, "/api/v1/services/shop-eu/functions/fn/async-config")
                                    .header("Content-Type", "application/json")
                                    .PUT(HttpRequest.BodyPublishers.ofString("{\"maxAttempts\":2}"))
                                    .build());
            assertThat(own.statusCode()).as(text(own)).isEqualTo(200);

            // Granting host directories stays with the host's administrators.
            var dirs =
                    kiln.send(
                            kiln.as(dev, "/api/v1/services/shop-eu/functions/fn")
                                    .header("Content-Type", "application/json")
                                    .method(
                                            "PATCH",
                                            HttpRequest.BodyPublishers.ofString(
                                                    "{\"wasiReadOnlyDirs\":{\"/d\":\"/tmp\"}}"))
                                    .build());
            assertThat(dirs.statusCode()).isEqualTo(403);
            assertThat(errorCode(dirs)).isEqualTo("forbidden");
        }
    }

    @Test
    void aForbiddenUploadIsRefusedBeforeItsBodyIsRead() {
        try (TestHost kiln = TestHost.start(data, b -> b.maxUploadBytes(1024))) {
            String viewer = kiln.createKey("v", "viewer", null);
            // Twice the upload cap: a handler reading it would answer 413.
            var r =
                    kiln.send(
                            kiln.as(viewer, "/api/v1/services/shop/functions/fn")
                                    .header("Content-Type", "application/wasm")
                                    .PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[2048]))
                                    .build());
            assertThat(r.statusCode()).isEqualTo(403);
            assertThat(errorCode(r)).isEqualTo("forbidden");
            assertThat(kiln.get("/healthz").statusCode()).isEqualTo(200);
        }
    }

    private boolean dataDirContains(String secret) throws Exception {
        byte[] needle = secret.getBytes(StandardCharsets.UTF_8);
        try (Stream<Path> files = Files.walk(data)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                if (indexOf(Files.readAllBytes(f), needle) >= 0) {
                    return true;
                }
            }
        }
        return false;
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
