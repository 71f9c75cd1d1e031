package dev.kiln.host.http;

import static dev.kiln.host.testing.TestHost.errorCode;
import static dev.kiln.host.testing.TestHost.json;
import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.host.core.Sha256;
import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Versions you can read and invoke, aliases, qualifiers (docs/adr/0037), over real sockets. */
class VersionsAndAliasesTest {
    static final String FN = "/api/v1/services/s/functions/f";
    static final byte[] ECHO = Wat.fixture("echo");
    static final byte[] UPPER = Wat.fixture("uppercase");

    @TempDir Path data;

    @Test
    void versionsCanBeReadDownloadedAndInvoked() {
        try (TestHost kiln = TestHost.start(data)) {
            assertThat(kiln.deploy("s", "f", ECHO).statusCode()).isEqualTo(201);
            // The same bytes and settings again: 200 with version 1, and no version 2.
            var again = kiln.deploy("s", "f", ECHO);
            assertThat(again.statusCode()).isEqualTo(200);
            assertThat(json(again).path("version").path("number").asInt()).isEqualTo(1);
            assertThat(json(kiln.get(FN + "/versions")).path("versions")).hasSize(1);
            assertThat(json(kiln.deploy("s", "f", UPPER)).path("version").path("number").asInt())
                    .isEqualTo(2);

            JsonNode v1 = json(kiln.get(FN + "/versions/1"));
            assertThat(v1.path("number").asInt()).isEqualTo(1);
            assertThat(v1.path("sha256").asText()).isEqualTo(Sha256.hex(ECHO));
            assertThat(v1.path("latest").asBoolean()).isFalse();
            assertThat(v1.path("settings").path("handler").asText()).isEqualTo("kiln_handle");
            assertThat(v1.path("settings").has("maxConcurrency")).isFalse();
            assertThat(json(kiln.get(FN + "/versions/2")).path("latest").asBoolean()).isTrue();

            var code = kiln.get(FN + "/versions/1/code");
            assertThat(code.statusCode()).isEqualTo(200);
            assertThat(code.body()).isEqualTo(ECHO);
            assertThat(Sha256.hex(code.body())).isEqualTo(v1.path("sha256").asText());
            assertThat(code.headers().firstValue("content-type")).hasValue("application/wasm");

            assertThat(errorCode(kiln.get(FN + "/versions/9"))).isEqualTo("version_not_found");
            assertThat(kiln.get(FN + "/versions/9").statusCode()).isEqualTo(404);
            assertThat(errorCode(kiln.get(FN + "/versions/9/code"))).isEqualTo("version_not_found");
            assertThat(errorCode(kiln.get(FN + "/versions/x1"))).isEqualTo("bad_request");
            assertThat(errorCode(kiln.get("/api/v1/services/s/functions/nope/versions/1")))
                    .isEqualTo("function_not_found");

            // Qualifiers: a number, LATEST, the default; on invoke and the HTTP trigger.
            assertRan(invoke(kiln, "?qualifier=1", "hi"), 1, "hi");
            assertRan(invoke(kiln, "?qualifier=LATEST", "hi"), 2, "HI");
            assertRan(invoke(kiln, "", "hi"), 2, "HI");
            assertRan(http(kiln, "/fn/s/f@1/x", "hi"), 1, "hi");
            assertRan(http(kiln, "/fn/s/f@LATEST/x", "hi"), 2, "HI");
            assertThat(errorCode(invoke(kiln, "?qualifier=7", "hi")))
                    .isEqualTo("version_not_found");
            assertThat(errorCode(invoke(kiln, "?qualifier=nope", "hi")))
                    .isEqualTo("alias_not_found");
            assertThat(errorCode(invoke(kiln, "?qualifier=Bad!", "hi"))).isEqualTo("bad_request");
            assertThat(errorCode(http(kiln, "/fn/s/f@/x", "hi"))).isEqualTo("bad_request");
            assertThat(errorCode(http(kiln, "/fn/s/f@0/x", "hi"))).isEqualTo("bad_request");
            assertRan(invoke(kiln, "", "still serving"), 2, "STILL SERVING");
        }
    }

    @Test
    void aliasesPointAtVersionsAndBlockTheirDeletion() {
        try (TestHost kiln = TestHost.start(data)) {
            kiln.deploy("s", "f", ECHO);
            kiln.deploy("s", "f", UPPER);
            var created = kiln.sendJson("PUT", FN + "/aliases/prod", "{\"version\": 1}");
            assertThat(created.statusCode()).isEqualTo(201);
            assertThat(json(created).path("name").asText()).isEqualTo("prod");
            assertThat(json(created).path("version").asInt()).isEqualTo(1);
            assertThat(json(created).path("additionalVersionWeight").size()).isZero();
            assertRan(invoke(kiln, "?qualifier=prod", "hi"), 1, "hi");
            assertRan(http(kiln, "/fn/s/f@prod/", "hi"), 1, "hi");

            var replaced =
                    kiln.sendJson(
                            "PUT",
                            FN + "/aliases/prod",
                            "{\"version\": 1, \"additionalVersionWeight\": {\"2\": 0.25},"
                                    + " \"description\": \"canary\"}");
            assertThat(replaced.statusCode()).isEqualTo(200);
            assertThat(json(replaced).path("additionalVersionWeight").path("2").asDouble())
                    .isEqualTo(0.25);
            assertThat(json(kiln.get(FN + "/aliases/prod")).path("description").asText())
                    .isEqualTo("canary");
            assertThat(json(kiln.get(FN + "/aliases")).path("aliases")).hasSize(1);
            assertThat(json(kiln.get(FN + "/versions/2")).path("aliases").get(0).asText())
                    .isEqualTo("prod");

            // A pin chooses among the alias's versions; one it does not run is refused.
            for (int i = 0; i < 20; i++) {
                assertRan(pinned(kiln, "?qualifier=prod", 2), 2, "PINNED");
                assertRan(pinned(kiln, "?qualifier=prod", 1), 1, "pinned");
            }
            assertThat(errorCode(pinned(kiln, "?qualifier=prod", 3))).isEqualTo("bad_request");
            assertThat(errorCode(pinned(kiln, "?qualifier=1", 2))).isEqualTo("bad_request");

            // Versions an alias points at, and the newest, stay.
            var refused = kiln.send(kiln.admin(FN + "/versions/1").DELETE().build());
            assertThat(refused.statusCode()).isEqualTo(409);
            assertThat(errorCode(refused)).isEqualTo("conflict");
            assertThat(text(refused)).contains("prod");
            var newest = kiln.send(kiln.admin(FN + "/versions/2").DELETE().build());
            assertThat(errorCode(newest)).isEqualTo("conflict");

            assertThat(kiln.send(kiln.admin(FN + "/aliases/prod").DELETE().build()).statusCode())
                    .isEqualTo(204);
            assertThat(errorCode(kiln.get(FN + "/aliases/prod"))).isEqualTo("alias_not_found");
            assertThat(kiln.send(kiln.admin(FN + "/versions/1").DELETE().build()).statusCode())
                    .isEqualTo(204);
            assertThat(errorCode(kiln.get(FN + "/versions/1"))).isEqualTo("version_not_found");
            assertThat(errorCode(invoke(kiln, "?qualifier=1", "hi")))
                    .isEqualTo("version_not_found");
            assertRan(invoke(kiln, "", "hi"), 2, "HI");
        }
    }

    @Test
    void badAliasDocumentsAreRefusedNamingTheField() {
        try (TestHost kiln = TestHost.start(data)) {
            kiln.deploy("s", "f", ECHO);
            kiln.deploy("s", "f", UPPER);
            record Bad(String body, String code, String mentions) {}
            for (Bad bad :
                    new Bad[] {
                        new Bad("{}", "bad_request", "'version'"),
                        new Bad("{\"version\": 0}", "bad_request", "'version'"),
                        new Bad("{\"version\": 1.5}", "bad_request", "'version'"),
                        new Bad("{\"version\": 9}", "version_not_found", "9"),
                        new Bad("{\"version\": 1, \"x\": 1}", "bad_request", "'x'"),
                        new Bad(
                                "{\"version\": 1, \"additionalVersionWeight\": {\"2\": 1.5}}",
                                "bad_request",
                                "additionalVersionWeight"),
                        new Bad(
                                "{\"version\": 1, \"additionalVersionWeight\": {\"2\": -0.1}}",
                                "bad_request",
                                "additionalVersionWeight"),
                        new Bad(
                                "{\"version\": 1, \"additionalVersionWeight\": {\"2\": \"0.1\"}}",
                                "bad_request",
                                "additionalVersionWeight"),
                        new Bad(
                                "{\"version\": 1, \"additionalVersionWeight\":"
                                        + " {\"2\": 0.1, \"3\": 0.1}}",
                                "bad_request",
                                "at most one"),
                        new Bad(
                                "{\"version\": 1, \"additionalVersionWeight\": {\"1\": 0.1}}",
                                "bad_request",
                                "already"),
                        new Bad(
                                "{\"version\": 1, \"additionalVersionWeight\": {\"LATEST\": 0.1}}",
                                "bad_request",
                                "LATEST"),
                        new Bad(
                                "{\"version\": 1, \"additionalVersionWeight\": {\"5\": 0.1}}",
                                "version_not_found",
                                "5"),
                        new Bad("[1]", "bad_request", "object"),
                        new Bad("not json", "bad_request", "JSON"),
                    }) {
                var r = kiln.sendJson("PUT", FN + "/aliases/prod", bad.body());
                assertThat(errorCode(r)).as(bad.body()).isEqualTo(bad.code());
                assertThat(text(r)).as(bad.body()).contains(bad.mentions());
            }
            assertThat(errorCode(kiln.sendJson("PUT", FN + "/aliases/9lives", "{\"version\":1}")))
                    .isEqualTo("bad_request");
            assertThat(errorCode(kiln.sendJson("PUT", FN + "/aliases/latest", "{\"version\":1}")))
                    .isEqualTo("bad_request");
            assertThat(json(kiln.get(FN + "/aliases")).path("aliases")).isEmpty();
            // Weights at the edges are fine.
            for (String w : new String[] {"0", "1", "0.0", "1.0"}) {
                var ok =
                        kiln.sendJson(
                                "PUT",
                                FN + "/aliases/edge",
                                "{\"version\": 1, \"additionalVersionWeight\": {\"2\": "
                                        + w
                                        + "}}");
                assertThat(ok.statusCode()).as(w).isIn(200, 201);
            }
            assertRan(invoke(kiln, "?qualifier=edge", "hi"), 2, "HI"); // weight 1: always 2
            assertRan(invoke(kiln, "", "still serving"), 2, "STILL SERVING");
        }
    }

    @Test
    void codeSettingsArePartOfAVersionSoAnAliasRollsThemBack() {
        try (TestHost kiln = TestHost.start(data)) {
            kiln.deploy("s", "f", Wat.fixture("config"));
            kiln.patch("s", "f", "{\"env\": {\"GREETING\": \"hello\"}}");
            // A code setting makes a version of the same bytes; a runtime setting makes none.
            assertThat(json(kiln.get(FN)).path("version").path("number").asInt()).isEqualTo(2);
            assertThat(
                            json(kiln.patch("s", "f", "{\"maxConcurrency\": 7}"))
                                    .path("version")
                                    .path("number")
                                    .asInt())
                    .isEqualTo(2);
            kiln.sendJson("PUT", FN + "/aliases/prod", "{\"version\": 2}");
            kiln.patch("s", "f", "{\"env\": {\"GREETING\": \"bye\"}}");
            assertRan(invoke(kiln, "", "x"), 3, "bye, x");
            assertRan(invoke(kiln, "?qualifier=prod", "x"), 2, "hello, x");
            assertRan(invoke(kiln, "?qualifier=1", "x"), 1, "no greeting");
            assertThat(
                            json(kiln.get(FN + "/versions/2"))
                                    .path("settings")
                                    .path("env")
                                    .path("GREETING")
                                    .asText())
                    .isEqualTo("hello");
            // The function's own settings apply to every version.
            assertThat(json(kiln.get(FN)).path("settings").path("maxConcurrency").asInt())
                    .isEqualTo(7);
        }
        // Aliases, versions and their settings survive a restart.
        try (TestHost kiln = TestHost.start(data)) {
            assertRan(invoke(kiln, "?qualifier=prod", "x"), 2, "hello, x");
            assertRan(invoke(kiln, "", "x"), 3, "bye, x");
            assertThat(json(kiln.get(FN + "/aliases/prod")).path("version").asInt()).isEqualTo(2);
        }
    }

    @Test
    void retentionDeletesOldVersionsNoAliasPointsAt() {
        try (TestHost kiln = TestHost.start(data, b -> b.keepVersions(2))) {
            kiln.deploy("s", "f", ECHO);
            kiln.sendJson("PUT", FN + "/aliases/old", "{\"version\": 1}");
            for (int i = 2; i <= 5; i++) {
                kiln.patch("s", "f", "{\"timeoutMs\": " + (1000 + i) + "}");
            }
            var numbers = json(kiln.get(FN + "/versions")).path("versions");
            assertThat(numbers.findValuesAsText("number")).containsExactly("5", "4", "1");
            assertRan(invoke(kiln, "?qualifier=old", "hi"), 1, "hi");
            assertThat(errorCode(invoke(kiln, "?qualifier=3", "hi")))
                    .isEqualTo("version_not_found");
        }
    }

    @Test
    void asyncEventsTriggersAndDestinationsRunTheirQualifier() {
        try (TestHost kiln = TestHost.start(data)) {
            kiln.deploy("s", "f", ECHO);
            kiln.deploy("s", "f", UPPER);
            kiln.sendJson("PUT", FN + "/aliases/stable", "{\"version\": 1}");
            var queued =
                    kiln.send(
                            kiln.admin(FN + "/invoke?qualifier=stable")
                                    .header("X-Kiln-Invocation-Type", "async")
                                    .POST(HttpRequest.BodyPublishers.ofString("e"))
                                    .build());
            assertThat(queued.statusCode()).isEqualTo(202);
            String id = json(queued).path("requestId").asText();
            var missing =
                    kiln.send(
                            kiln.admin(FN + "/invoke?qualifier=gone")
                                    .header("X-Kiln-Invocation-Type", "async")
                                    .POST(HttpRequest.BodyPublishers.ofString("e"))
                                    .build());
            assertThat(errorCode(missing)).isEqualTo("alias_not_found");
            awaitVersion(kiln, id, 1);

            var trigger =
                    kiln.sendJson(
                            "POST",
                            FN + "/triggers",
                            "{\"id\": \"t1\", \"type\": \"topic\", \"topic\": \"orders\","
                                    + " \"qualifier\": \"stable\"}");
            assertThat(trigger.statusCode()).isEqualTo(201);
            assertThat(json(trigger).path("qualifier").asText()).isEqualTo("stable");
            assertThat(
                            errorCode(
                                    kiln.sendJson(
                                            "POST",
                                            FN + "/triggers",
                                            "{\"type\": \"topic\", \"topic\": \"o\","
                                                    + " \"qualifier\": \"9\"}")))
                    .isEqualTo("version_not_found");
            var published = kiln.sendJson("POST", "/api/v1/topics/orders/events", "{}");
            assertThat(published.statusCode()).isEqualTo(202);
            String delivery = json(published).path("deliveries").get(0).path("requestId").asText();
            awaitVersion(kiln, delivery, 1);
        }
    }

    private static void awaitVersion(TestHost kiln, String requestId, int version) {
        TestHost.await(
                "invocation " + requestId + " recorded",
                Duration.ofSeconds(20),
                () -> kiln.get(FN + "/invocations/" + requestId).statusCode() == 200);
        assertThat(json(kiln.get(FN + "/invocations/" + requestId)).path("version").asInt())
                .isEqualTo(version);
    }

    static HttpResponse<byte[]> invoke(TestHost kiln, String query, String body) {
        return kiln.send(
                kiln.admin(FN + "/invoke" + query)
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build());
    }

    static HttpResponse<byte[]> pinned(TestHost kiln, String query, int pin) {
        return kiln.send(
                kiln.admin(FN + "/invoke" + query)
                        .header("X-Kiln-Version-Pin", Integer.toString(pin))
                        .POST(HttpRequest.BodyPublishers.ofString("pinned"))
                        .build());
    }

    static HttpResponse<byte[]> http(TestHost kiln, String path, String body) {
        return kiln.send(
                kiln.request(path).POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    static void assertRan(HttpResponse<byte[]> r, int version, String body) {
        // 200 from invoke; the HTTP trigger answers with the guest's own status.
        assertThat(r.statusCode()).as(text(r)).isBetween(200, 299);
        assertThat(r.headers().firstValue("X-Kiln-Version")).hasValue(Integer.toString(version));
        assertThat(text(r)).isEqualTo(body);
    }
}
