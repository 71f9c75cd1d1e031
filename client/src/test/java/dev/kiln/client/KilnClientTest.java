package dev.kiln.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dylibso.chicory.wabt.Wat2Wasm;
import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.host.KilnHost;
import dev.kiln.host.config.KilnConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link KilnClient} against a real host on a free port. */
class KilnClientTest {
    private static final String TOKEN = "client-test-admin-token";
    private static final byte[] ECHO =
            Wat2Wasm.parse(
                    """
                    (module
                      (memory (export "memory") 1)
                      (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
                      (func (export "kiln_handle") (param $p i32) (param $n i32) (result i64)
                        (i64.or (i64.shl (i64.extend_i32_u (local.get $p)) (i64.const 32))
                                (i64.extend_i32_u (local.get $n)))))
                    """);
    private static final byte[] TRAP =
            Wat2Wasm.parse(
                    """
                    (module
                      (memory (export "memory") 1)
                      (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
                      (func (export "kiln_handle") (param i32 i32) (result i64) unreachable))
                    """);

    @TempDir Path data;
    private KilnHost host;
    private KilnClient kiln;

    @BeforeEach
    void start() throws IOException {
        host = KilnHost.start(KilnConfig.builder().port(0).dataDir(data).adminToken(TOKEN).build());
        kiln =
                KilnClient.builder()
                        .endpoint("http://127.0.0.1:" + host.port() + "/")
                        .token(TOKEN)
                        .build();
    }

    @AfterEach
    void stop() {
        host.close();
    }

    @Test
    void createInvokeAndReadBackWithSettingsInOneVersion() {
        JsonNode f =
                kiln.createFunction(
                        "demo", "echo", ECHO, Map.of("handler", "kiln_handle", "timeoutMs", 3000));
        assertThat(f.path("settings").path("timeoutMs").asInt()).isEqualTo(3000);
        Invocation r = kiln.invoke("demo", "echo", bytes("{}"));
        assertThat(r.text()).isEqualTo("{}");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.executedVersion()).hasValue(1);
        assertThat(r.requestId()).isNotBlank();
        assertThat(r.fuel()).isPresent();
        assertThat(kiln.listVersions("demo", "echo")).hasSize(1);
        host.flushRecords(); // records are written off the request path, in batches
        assertThat(kiln.getInvocation("demo", "echo", r.requestId()).path("outcome").asText())
                .isEqualTo("ok");
        assertThat(kiln.listInvocations("demo", "echo", 5)).hasSize(1);
        assertThat(kiln.getVersionCode("demo", "echo", 1)).isEqualTo(ECHO);
        assertThat(kiln.listServices().toString()).contains("demo");
        assertThat(kiln.openapi().path("openapi").asText()).isEqualTo("3.1.0");
    }

    @Test
    void aZipsKilnJsonIsMergedWithTheSettings(@TempDir Path dir) throws IOException {
        Path wasm = Files.write(dir.resolve("echo.wasm"), ECHO);
        kiln.createFunction("demo", "plain", wasm, Map.of());
        byte[] zip = Upload.of(ECHO, Map.of("memoryMiB", 32)).body();
        JsonNode f = kiln.createFunction("demo", "zipped", zip, Map.of("memoryMiB", 16));
        assertThat(f.path("settings").path("memoryMiB").asInt()).isEqualTo(16);
        assertThat(kiln.invoke("demo", "zipped", bytes("z")).text()).isEqualTo("z");
        assertThatThrownBy(() -> kiln.createFunction("demo", "bad", bytes("nope"), Map.of()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void versionsAliasesAndQualifiers() {
        kiln.createFunction("s", "f", ECHO, Map.of("timeoutMs", 1000));
        kiln.createFunction("s", "f", ECHO, Map.of("timeoutMs", 2000));
        kiln.putAlias("s", "f", "prod", 1, 0, 0);
        assertThat(kiln.getAlias("s", "f", "prod").path("version").asInt()).isEqualTo(1);
        assertThat(kiln.listAliases("s", "f")).hasSize(1);
        assertThat(kiln.invoke("s", "f", bytes("x"), "prod").executedVersion()).hasValue(1);
        assertThat(kiln.invoke("s", "f", bytes("x")).executedVersion()).hasValue(2);
        assertThat(kiln.getVersion("s", "f", 1).path("settings").path("timeoutMs").asInt())
                .isEqualTo(1000);
        kiln.deleteAlias("s", "f", "prod");
        kiln.deleteVersion("s", "f", 1);
        assertThat(kiln.listVersions("s", "f")).hasSize(1);
        kiln.deleteFunction("s", "f");
        KilnException e = (KilnException) catchThrowable(() -> kiln.getFunction("s", "f"));
        assertThat(e.code()).isEqualTo("function_not_found");
        assertThat(e.status()).isEqualTo(404);
        assertThat(e.requestId()).isNotBlank();
    }

    @Test
    void failuresAreTypedAndAsyncEventsDeadLetter() {
        kiln.createFunction("s", "trap", TRAP, Map.of());
        KilnException trap =
                (KilnException) catchThrowable(() -> kiln.invoke("s", "trap", bytes("x")));
        assertThat(trap.code()).isEqualTo("guest_trap");
        assertThat(trap.status()).isEqualTo(500);
        assertThat(trap.apiMessage()).isNotBlank();
        kiln.putAsyncConfig("s", "trap", Map.of("maxAttempts", 1));
        String id = kiln.invokeAsync("s", "trap", bytes("boom"), null);
        await("the dead letter", () -> !kiln.listDeadLetters("s", "trap").isEmpty());
        assertThat(kiln.getDeadLetter("s", "trap", id).path("payload").asText()).isEqualTo("boom");
        assertThat(kiln.redriveDeadLetters("s", "trap", id)).isEqualTo(1);
        await("the dead letter again", () -> !kiln.listDeadLetters("s", "trap").isEmpty());
        kiln.deleteDeadLetter("s", "trap", id);
        assertThat(kiln.getQueue("s", "trap").has("depth")).isTrue();
        assertThat(kiln.deleteAsyncConfig("s", "trap").has("maxAttempts")).isTrue();
        KilnException unauthorized =
                (KilnException)
                        catchThrowable(
                                () ->
                                        KilnClient.builder()
                                                .endpoint(kiln.endpoint())
                                                .token("nope")
                                                .build()
                                                .listServices());
        assertThat(unauthorized.code()).isEqualTo("unauthorized");
        KilnException unreachable =
                (KilnException)
                        catchThrowable(
                                () ->
                                        KilnClient.builder()
                                                .endpoint("http://127.0.0.1:9")
                                                .token("t")
                                                .maxRetries(1)
                                                .backoff(Duration.ofMillis(5))
                                                .build()
                                                .listServices());
        assertThat(unreachable.code()).isEqualTo("connection_failed");
        assertThat(unreachable.status()).isZero();
        assertThat(kiln.listServices()).isNotNull(); // the host still serves
    }

    @Test
    void triggersKeysAndRateLimitRetries() throws Exception {
        kiln.createFunction("s", "f", ECHO, Map.of());
        kiln.createTrigger("s", "f", Map.of("id", "sub", "type", "topic", "topic", "orders"));
        assertThat(kiln.listTriggers("s", "f")).hasSize(1);
        assertThat(kiln.publish("orders", bytes("{}")).path("deliveries")).hasSize(1);
        assertThat(
                        kiln.updateTrigger("s", "f", "sub", Map.of("enabled", false))
                                .path("enabled")
                                .asBoolean())
                .isFalse();
        kiln.deleteTrigger("s", "f", "sub");
        JsonNode key = kiln.createKey("ci", "viewer", List.of("s"));
        KilnClient viewer =
                KilnClient.builder()
                        .endpoint(kiln.endpoint())
                        .token(key.path("key").asText())
                        .build();
        KilnException forbidden =
                (KilnException)
                        catchThrowable(() -> viewer.createFunction("s", "g", ECHO, Map.of()));
        assertThat(forbidden.code()).isEqualTo("forbidden");
        assertThat(kiln.listKeys().toString()).contains(key.path("id").asText());
        kiln.deleteKey(key.path("id").asText());

        // One invocation a second: the second at once is refused with 429 and Retry-After,
        // then retried after the wait; without retries the refusal surfaces.
        setQuota("{\"maxInvocationsPerSecond\":1}");
        kiln.invoke("s", "f", bytes("one"));
        assertThat(kiln.invoke("s", "f", bytes("two")).text()).isEqualTo("two");
        KilnClient noRetries =
                KilnClient.builder().endpoint(kiln.endpoint()).token(TOKEN).maxRetries(0).build();
        KilnException limited =
                (KilnException)
                        catchThrowable(
                                () -> {
                                    noRetries.invoke("s", "f", bytes("a"));
                                    noRetries.invoke("s", "f", bytes("b"));
                                });
        assertThat(limited.code()).isEqualTo("rate_limited");
        assertThat(limited.status()).isEqualTo(429);
        assertThat(limited.retryAfterSeconds()).isPresent();
    }

    private void setQuota(String json) throws Exception {
        var http = java.net.http.HttpClient.newHttpClient();
        var r =
                http.send(
                        java.net.http.HttpRequest.newBuilder(
                                        java.net.URI.create(
                                                kiln.endpoint() + "/api/v1/services/s/quota"))
                                .header("Authorization", "Bearer " + TOKEN)
                                .header("Content-Type", "application/json")
                                .PUT(java.net.http.HttpRequest.BodyPublishers.ofString(json))
                                .build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    private static Throwable catchThrowable(Runnable call) {
        try {
            call.run();
        } catch (KilnException e) {
            return e;
        }
        throw new AssertionError("no KilnException");
    }

    private static void await(String what, Supplier<Boolean> check) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!check.get()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
