package dev.kiln.host.http;

import static dev.kiln.host.testing.TestHost.errorCode;
import static dev.kiln.host.testing.TestHost.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.WasiCgiUpload;
import dev.kiln.host.testing.Wat;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a new user trips over, each answered with what to do (issue 18 item 7, ADR 0044). */
class NewUserFrictionTest {
    private static final String LOGGER =
            """
            (module
              (import "kiln" "log" (func $log (param i32 i32 i32) (result i32)))
              (memory (export "memory") 1)
              (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
              (func (export "kiln_handle") (param $p i32) (param $n i32) (result i64)
                (drop (call $log (i32.const 1) (local.get $p) (local.get $n)))
                (drop (call $log (i32.const 2) (local.get $p) (local.get $n)))
                (i64.const 0)))
            """;

    @TempDir Path data;
    private TestHost kiln;

    @BeforeEach
    void start() {
        kiln = TestHost.start(data);
    }

    @AfterEach
    void stop() {
        kiln.close();
    }

    @Test
    void watTextUploadedAsWasmIsToldToCompileIt() {
        byte[] wat =
                ";; my first function\n(module (func (export \"f\")))"
                        .getBytes(StandardCharsets.UTF_8);
        var r = kiln.deploy("demo", "wat", wat);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(errorCode(r)).isEqualTo("invalid_module");
        assertThat(json(r).path("error").path("message").asText())
                .contains("WebAssembly text")
                .contains("wat2wasm");
        // Other bytes keep the plain answer.
        var garbage = kiln.deploy("demo", "garbage", new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        assertThat(json(garbage).path("error").path("message").asText()).contains("bad magic");
        assertThat(kiln.deploy("demo", "ok", Wat.compile(LOGGER)).statusCode()).isEqualTo(201);
    }

    @Test
    void aWasiCommandDeployedWithTheKilnAbiIsToldToUseWasiCgi() {
        byte[] command = Wat.fixture("wasi/echo");
        var r = kiln.deploy("demo", "cgi", command);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(errorCode(r)).isEqualTo("invalid_module");
        assertThat(json(r).path("error").path("message").asText())
                .contains("WASI command")
                .contains("wasi-cgi")
                .contains("wasi_snapshot_preview1.");
        // A command without WASI imports: recognised by its _start.
        var bare =
                kiln.deploy(
                        "demo",
                        "bare",
                        Wat.compile(
                                "(module (memory (export \"memory\") 1) (func (export"
                                        + " \"_start\")))"));
        assertThat(json(bare).path("error").path("message").asText()).contains("it exports _start");
        assertThat(WasiCgiUpload.deploy(kiln, "demo", "cgi", command).statusCode()).isEqualTo(201);
    }

    @Test
    void methodNotAllowedListsTheMethodsThePathHas() {
        var r = kiln.send(kiln.admin("/api/v1/services").DELETE().build());
        assertThat(r.statusCode()).isEqualTo(405);
        assertThat(r.headers().firstValue("Allow")).hasValue("GET");
        r =
                kiln.send(
                        kiln.admin("/api/v1/services/demo/functions/f")
                                .POST(HttpRequest.BodyPublishers.noBody())
                                .build());
        assertThat(r.statusCode()).isEqualTo(405);
        assertThat(errorCode(r)).isEqualTo("method_not_allowed");
        assertThat(r.headers().firstValue("Allow")).hasValue("DELETE, GET, PATCH, PUT");
        r = kiln.send(kiln.admin("/api/v1/services/demo/functions/f/invoke").GET().build());
        assertThat(r.headers().firstValue("Allow")).hasValue("POST");
        assertThat(kiln.get("/api/v1/services").statusCode()).isEqualTo(200);
    }

    @Test
    void unknownQueryParametersAreRefusedByName() {
        kiln.deploy("demo", "log", Wat.compile(LOGGER));
        var r = kiln.get("/api/v1/services/demo/functions/log/invocations?limit=5&befor=x");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(errorCode(r)).isEqualTo("bad_request");
        assertThat(json(r).path("error").path("message").asText())
                .contains("'befor'")
                .contains("takes before, limit");
        // A typo of the qualifier would otherwise run LATEST silently.
        r =
                kiln.send(
                        kiln.admin("/api/v1/services/demo/functions/log/invoke?qualifer=prod")
                                .POST(HttpRequest.BodyPublishers.noBody())
                                .build());
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r).path("error").path("message").asText()).contains("'qualifer'");
        r = kiln.get("/api/v1/services?x=1");
        assertThat(json(r).path("error").path("message").asText()).contains("takes none");
        // A route's {path parameters} are not query parameters; declared ones still work.
        assertThat(kiln.get("/api/v1/services/demo/functions/log/invocations?limit=5").statusCode())
                .isEqualTo(200);
        assertThat(kiln.invoke("demo", "log", "x").statusCode()).isEqualTo(200);
    }

    @Test
    void invocationListsCountLogLinesAndEveryLineCarriesItsRequestId() {
        kiln.deploy("demo", "log", Wat.compile(LOGGER));
        String id =
                kiln.invoke("demo", "log", "hello")
                        .headers()
                        .firstValue("X-Kiln-Request-Id")
                        .orElseThrow();
        kiln.host().flushRecords();
        JsonNode list =
                json(kiln.get("/api/v1/services/demo/functions/log/invocations"))
                        .path("invocations");
        assertThat(list).hasSize(1);
        assertThat(list.get(0).path("logCount").asInt()).isEqualTo(2);
        assertThat(list.get(0).path("logs")).isEmpty();
        JsonNode one = json(kiln.get("/api/v1/services/demo/functions/log/invocations/" + id));
        assertThat(one.path("logCount").asInt()).isEqualTo(2);
        assertThat(one.path("logs")).hasSize(2);
        one.path("logs").forEach(l -> assertThat(l.path("requestId").asText()).isEqualTo(id));
        JsonNode logs = json(kiln.get("/api/v1/services/demo/functions/log/logs")).path("logs");
        logs.forEach(l -> assertThat(l.path("requestId").asText()).isEqualTo(id));
    }
}
