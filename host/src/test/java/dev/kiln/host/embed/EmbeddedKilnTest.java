package dev.kiln.host.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.kiln.host.testing.Wat;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link EmbeddedKiln} through its own API only (modules compiled from WAT here). */
class EmbeddedKilnTest {
    private static final byte[] GREETER =
            Wat.compile(
                    """
                    (module
                      (import "kiln" "log" (func $log (param i32 i32 i32) (result i32)))
                      (memory (export "memory") 1)
                      (data (i32.const 0) "hi ")
                      (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
                      (func (export "kiln_handle") (param $p i32) (param $n i32) (result i64)
                        (drop (call $log (i32.const 1) (local.get $p) (local.get $n)))
                        (memory.copy (i32.sub (local.get $p) (i32.const 3)) (i32.const 0) (i32.const 3))
                        (i64.or (i64.shl (i64.extend_i32_u (i32.sub (local.get $p) (i32.const 3))) (i64.const 32))
                                (i64.extend_i32_u (i32.add (local.get $n) (i32.const 3))))))
                    """);
    private static final byte[] TRAP =
            Wat.compile(
                    """
                    (module
                      (memory (export "memory") 1)
                      (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
                      (func (export "kiln_handle") (param i32 i32) (result i64) unreachable))
                    """);

    @TempDir Path data;

    @Test
    void withoutHttpItDeploysInvokesAndKeepsItsStateAcrossRestarts() throws Exception {
        try (EmbeddedKiln kiln = EmbeddedKiln.builder(data).start()) {
            assertThat(kiln.httpPort()).isEmpty();
            var d = kiln.deploy("demo", "greet", GREETER, Map.of("timeoutMs", 2000));
            assertThat(d.version()).isEqualTo(1);
            assertThat(d.created()).isTrue();
            assertThat(kiln.deploy("demo", "greet", GREETER, Map.of("timeoutMs", 2000)).version())
                    .as("the same code and settings make no new version")
                    .isEqualTo(1);
            var r = kiln.invoke("demo", "greet", "Kiln".getBytes(StandardCharsets.UTF_8));
            assertThat(r.text()).isEqualTo("hi Kiln");
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.version()).isEqualTo(1);
            assertThat(r.requestId()).isNotBlank();
            assertThat(r.fuel()).isPositive();
            assertThat(r.start()).isIn("cold", "warm", "pool");
        }
        try (EmbeddedKiln again = EmbeddedKiln.builder(data).start()) {
            assertThat(again.invoke("demo", "greet", new byte[0], "1").text()).isEqualTo("hi ");
            again.delete("demo", "greet");
            var gone =
                    catchThrowableOfType(
                            EmbeddedKilnException.class,
                            () -> again.invoke("demo", "greet", new byte[0]));
            assertThat(gone.code()).isEqualTo("function_not_found");
        }
    }

    @Test
    void failuresCarryTheApisCodesAndTheHostGoesOn() throws Exception {
        try (EmbeddedKiln kiln = EmbeddedKiln.builder(data).start()) {
            kiln.deploy("demo", "trap", TRAP);
            var trap =
                    catchThrowableOfType(
                            EmbeddedKilnException.class,
                            () -> kiln.invoke("demo", "trap", new byte[0]));
            assertThat(trap.code()).isEqualTo("guest_trap");
            assertThat(trap.requestId()).isNotBlank();
            var bad =
                    catchThrowableOfType(
                            EmbeddedKilnException.class,
                            () ->
                                    kiln.deploy(
                                            "demo",
                                            "bad",
                                            "(module)".getBytes(StandardCharsets.UTF_8)));
            assertThat(bad.code()).isEqualTo("invalid_module");
            assertThat(bad.getMessage()).contains("wat2wasm");
            kiln.deploy("demo", "greet", GREETER);
            assertThat(kiln.invoke("demo", "greet", "x".getBytes(StandardCharsets.UTF_8)).text())
                    .isEqualTo("hi x");
        }
    }

    @Test
    void withAPortItAlsoServesTheHttpApiAndTriggers() throws Exception {
        try (EmbeddedKiln kiln =
                EmbeddedKiln.builder(data).httpPort(0).adminToken("embedded-token").start()) {
            int port = kiln.httpPort().orElseThrow();
            kiln.deploy("demo", "greet", GREETER);
            var http = HttpClient.newHttpClient();
            var viaTrigger =
                    http.send(
                            HttpRequest.newBuilder(
                                            URI.create(
                                                    "http://127.0.0.1:" + port + "/fn/demo/greet/"))
                                    .POST(HttpRequest.BodyPublishers.ofString("web"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(viaTrigger.statusCode()).isEqualTo(200);
            assertThat(viaTrigger.body()).isEqualTo("hi web");
            var api =
                    http.send(
                            HttpRequest.newBuilder(
                                            URI.create(
                                                    "http://127.0.0.1:"
                                                            + port
                                                            + "/api/v1/services"))
                                    .header("Authorization", "Bearer " + kiln.adminToken())
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(api.body()).contains("demo");
            assertThat(kiln.adminToken()).isEqualTo("embedded-token");
        }
    }
}
