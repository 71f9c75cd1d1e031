package dev.kiln.host.http;

import static dev.kiln.host.testing.TestHost.errorCode;
import static dev.kiln.host.testing.TestHost.json;
import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Secrets through the API: write-only, read by the guest, never anywhere else. */
class SecretsApiTest {
    static final String VALUE = "sk_live_9f8e7d6c5b4a_MARKER";

    /** Returns the config value named by the payload ({@code config_get}), or nothing. */
    static final byte[] CONFIG_READER =
            Wat.compile(
                    """
                    (module
                      (import "kiln" "config_get"
                        (func $config_get (param i32 i32 i32 i32) (result i32)))
                      (import "kiln" "log" (func $log (param i32 i32 i32) (result i32)))
                      (memory (export "memory") 1)
                      (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
                      (func (export "kiln_handle") (param $p i32) (param $n i32) (result i64)
                        (local $len i32)
                        (local.set $len
                          (call $config_get (local.get $p) (local.get $n)
                                            (i32.const 8192) (i32.const 16384)))
                        (if (i32.lt_s (local.get $len) (i32.const 0))
                          (then (local.set $len (i32.const 0))))
                        (drop (call $log (i32.const 1) (local.get $p) (local.get $n)))
                        (i64.or (i64.const 35184372088832)
                                (i64.extend_i32_u (local.get $len)))))
                    """);

    @TempDir Path data;

    private static String read(TestHost kiln, String name) {
        var r = kiln.invoke("shop", "pay", name);
        assertThat(r.statusCode()).isEqualTo(200);
        return text(r);
    }

    @Test
    void secretsAreWriteOnlyAndTheGuestReadsThem() {
        try (TestHost kiln = TestHost.start(data)) {
            assertThat(kiln.deploy("shop", "pay", CONFIG_READER).statusCode()).isEqualTo(201);
            var patched =
                    kiln.patch(
                            "shop",
                            "pay",
                            "{\"env\":{\"MODE\":\"live\",\"API_KEY\":\"from-env\"},"
                                    + "\"secrets\":{\"API_KEY\":\""
                                    + VALUE
                                    + "\",\"DB_PASSWORD\":\"pw\"}}");
            assertThat(patched.statusCode()).isEqualTo(200);
            assertThat(text(patched)).doesNotContain(VALUE).doesNotContain("\"pw\"");
            JsonNode f = json(kiln.get("/api/v1/services/shop/functions/pay"));
            assertThat(f.path("secrets").size()).isEqualTo(2);
            assertThat(f.path("secrets").get(0).path("name").asText()).isEqualTo("API_KEY");
            assertThat(f.path("secrets").get(0).path("setAt").asText()).endsWith("Z");
            assertThat(f.toString()).doesNotContain(VALUE);

            // The guest reads it like config; a name set both ways is the secret's.
            assertThat(read(kiln, "API_KEY")).isEqualTo(VALUE);
            assertThat(read(kiln, "DB_PASSWORD")).isEqualTo("pw");
            assertThat(read(kiln, "MODE")).isEqualTo("live");

            // Secrets only: no new version (the env above made version 2, docs/adr/0037); null
            // deletes one; the other keeps its setAt.
            String setAt = f.path("secrets").get(1).path("setAt").asText();
            var deleted = kiln.patch("shop", "pay", "{\"secrets\":{\"DB_PASSWORD\":null}}");
            assertThat(deleted.statusCode()).isEqualTo(200);
            assertThat(json(deleted).path("version").path("number").asInt()).isEqualTo(2);
            assertThat(read(kiln, "DB_PASSWORD")).isEmpty();
            JsonNode after = json(kiln.get("/api/v1/services/shop/functions/pay"));
            assertThat(after.path("secrets").size()).isEqualTo(1);
            assertThat(after.path("secrets").get(0).path("name").asText()).isEqualTo("API_KEY");
            assertThat(setAt).isNotEmpty();
        }
    }

    @Test
    void secretsSurviveARestartAndGoWithTheirFunction() {
        try (TestHost kiln = TestHost.start(data)) {
            kiln.deploy("shop", "pay", CONFIG_READER);
            kiln.patch("shop", "pay", "{\"secrets\":{\"API_KEY\":\"" + VALUE + "\"}}");
        }
        try (TestHost kiln = TestHost.start(data)) {
            assertThat(read(kiln, "API_KEY")).isEqualTo(VALUE);
            // A re-upload keeps them (they belong to the function, not the version).
            assertThat(kiln.deploy("shop", "pay", CONFIG_READER).statusCode()).isEqualTo(200);
            assertThat(read(kiln, "API_KEY")).isEqualTo(VALUE);
            kiln.send(kiln.admin("/api/v1/services/shop/functions/pay").DELETE().build());
            kiln.deploy("shop", "pay", CONFIG_READER);
            assertThat(read(kiln, "API_KEY")).isEmpty();
            assertThat(json(kiln.get("/api/v1/services/shop/functions/pay")).path("secrets").size())
                    .isZero();
        }
    }

    @Test
    void badSecretsAreRefusedWithoutEchoAndChangeNothing() {
        try (TestHost kiln = TestHost.start(data)) {
            kiln.deploy("shop", "pay", CONFIG_READER);
            record Bad(String body, String mentions) {}
            for (Bad bad :
                    List.of(
                            new Bad("{\"secrets\":{\"K\":42}}", "'K'"),
                            new Bad("{\"secrets\":[\"" + VALUE + "\"]}", "object"),
                            new Bad("{\"secrets\":{\"bad name\":\"" + VALUE + "\"}}", "bad name"),
                            new Bad(
                                    "{\"secrets\":{\"BIG\":\"" + VALUE + "x".repeat(9000) + "\"}}",
                                    "BIG"),
                            // The settings half must not be applied when the secrets half fails.
                            new Bad(
                                    "{\"timeoutMs\":1234,\"secrets\":{\"bad name\":\""
                                            + VALUE
                                            + "\"}}",
                                    "bad name"))) {
                var r = kiln.patch("shop", "pay", bad.body());
                assertThat(r.statusCode()).as(bad.body()).isEqualTo(400);
                assertThat(errorCode(r)).isEqualTo("bad_request");
                assertThat(json(r).path("error").path("message").asText()).contains(bad.mentions());
                assertThat(text(r)).doesNotContain(VALUE);
            }
            JsonNode f = json(kiln.get("/api/v1/services/shop/functions/pay"));
            assertThat(f.path("settings").path("timeoutMs").asInt()).isNotEqualTo(1234);
            assertThat(f.path("secrets").size()).isZero();
            var missing = kiln.patch("shop", "nope", "{\"secrets\":{\"K\":\"v\"}}");
            assertThat(missing.statusCode()).isEqualTo(404);
            assertThat(read(kiln, "K")).isEmpty(); // still serving
        }
    }

    @Test
    void aSecretValueAppearsInNoRecordLogMetricOrFile() throws IOException {
        try (TestHost kiln = TestHost.start(data)) {
            kiln.deploy("shop", "pay", CONFIG_READER);
            kiln.patch("shop", "pay", "{\"secrets\":{\"API_KEY\":\"" + VALUE + "\"}}");
            for (int i = 0; i < 3; i++) {
                assertThat(read(kiln, "API_KEY")).isEqualTo(VALUE);
            }
            // An error answer (a key too long for config_get, then a bad PATCH) carries no value.
            var big =
                    kiln.send(
                            kiln.admin("/api/v1/services/shop/functions/pay/invoke")
                                    .POST(HttpRequest.BodyPublishers.ofString("x".repeat(20_000)))
                                    .build());
            assertThat(text(big)).doesNotContain(VALUE);
            var refused = kiln.patch("shop", "pay", "{\"secrets\":{\"API_KEY\":7}}");
            assertThat(refused.statusCode()).isEqualTo(400);
            assertThat(text(refused)).doesNotContain(VALUE);
            kiln.host().flushRecords();
            assertThat(text(kiln.get("/api/v1/services/shop/functions/pay/invocations")))
                    .doesNotContain(VALUE);
            assertThat(text(kiln.get("/api/v1/services/shop/functions/pay/logs")))
                    .contains("API_KEY") // the guest logged the name it was asked for
                    .doesNotContain(VALUE);
            assertThat(text(kiln.get("/metrics"))).doesNotContain(VALUE);
            assertThat(text(kiln.get("/api/v1/services/shop/functions"))).doesNotContain(VALUE);
        }
        // Every file of the data directory, the SQLite WALs included, after a clean stop.
        try (Stream<Path> files = Files.walk(data)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                assertThat(new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1))
                        .as(p.toString())
                        .doesNotContain(VALUE);
            }
        }
    }
}
