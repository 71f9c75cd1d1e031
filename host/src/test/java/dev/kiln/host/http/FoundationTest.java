package dev.kiln.host.http;

import static dev.kiln.host.testing.TestHost.errorCode;
import static dev.kiln.host.testing.TestHost.json;
import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The foundation's vertical slice, end to end over a real socket. */
class FoundationTest {
    @TempDir Path data;
    TestHost kiln;

    @BeforeEach
    void start() {
        kiln = TestHost.start(data);
    }

    @AfterEach
    void stop() {
        kiln.close();
    }

    @Test
    void healthz() {
        var r = kiln.send(kiln.request("/healthz").build());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(json(r).path("status").asText()).isEqualTo("ok");
    }

    @Test
    void echoThroughInvokeCarriesTheKilnHeaders() {
        var deployed = kiln.deploy("demo", "echo", Wat.fixture("echo"));
        assertThat(deployed.statusCode()).isEqualTo(201);
        JsonNode fn = json(deployed);
        assertThat(fn.path("version").path("number").asInt()).isEqualTo(1);
        assertThat(fn.path("version").path("sha256").asText()).hasSize(64);

        var r = kiln.invoke("demo", "echo", "hello kiln");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(text(r)).isEqualTo("hello kiln");
        assertThat(r.headers().firstValue("X-Kiln-Request-Id")).get().asString().hasSize(26);
        assertThat(r.headers().firstValue("X-Kiln-Duration-Us")).get().asString().matches("\\d+");
        assertThat(r.headers().firstValue("X-Kiln-Fuel")).get().asString().matches("\\d+");
        assertThat(r.headers().firstValue("X-Kiln-Start"))
                .get()
                .asString()
                .isIn("warm", "cold", "pool");

        var empty = kiln.invoke("demo", "echo", new byte[0]);
        assertThat(empty.statusCode()).isEqualTo(200);
        assertThat(empty.body()).isEmpty();

        byte[] binary = new byte[70_000];
        for (int i = 0; i < binary.length; i++) {
            binary[i] = (byte) (i * 31);
        }
        assertThat(kiln.invoke("demo", "echo", binary).body()).isEqualTo(binary);
    }

    @Test
    void uppercaseOverTheHttpTriggerSetsStatusAndHeaders() {
        kiln.deploy("demo", "upper", Wat.fixture("uppercase"));
        var r =
                kiln.send(
                        kiln.request("/fn/demo/upper/some/path?x=1")
                                .POST(HttpRequest.BodyPublishers.ofString("make me loud"))
                                .build());
        assertThat(r.statusCode()).isEqualTo(201);
        assertThat(text(r)).isEqualTo("MAKE ME LOUD");
        assertThat(r.headers().firstValue("content-type")).hasValue("text/plain; charset=utf-8");
        assertThat(r.headers().firstValue("x-upper")).hasValue("yes");
        assertThat(r.headers().firstValue("x-method")).hasValue("POST");
        assertThat(r.headers().firstValue("X-Kiln-Request-Id")).isPresent();
    }

    @Test
    void theHttpTriggerNeedsNoTokenButTheApiDoes() {
        kiln.deploy("demo", "echo", Wat.fixture("echo"));
        var open =
                kiln.send(
                        kiln.request("/fn/demo/echo/")
                                .POST(HttpRequest.BodyPublishers.ofString("hi"))
                                .build());
        assertThat(open.statusCode()).isEqualTo(200);
        var closed =
                kiln.send(
                        kiln.request("/api/v1/services/demo/functions/echo/invoke")
                                .POST(HttpRequest.BodyPublishers.ofString("hi"))
                                .build());
        assertThat(closed.statusCode()).isEqualTo(401);
        assertThat(errorCode(closed)).isEqualTo("unauthorized");
    }

    @Test
    void orderSubmittedEventIsSummarisedAndLogged() {
        kiln.deploy("shop", "orders", Wat.fixture("order_summary"));
        var r =
                kiln.invoke(
                        "shop",
                        "orders",
                        "{\"type\":\"order.submitted\",\"orderId\":\"A-1001\",\"items\":3}");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(json(r).path("orderId").asText()).isEqualTo("A-1001");
        assertThat(json(r).path("status").asText()).isEqualTo("accepted");
        String requestId = r.headers().firstValue("X-Kiln-Request-Id").orElseThrow();

        kiln.host().flushRecords();
        var record = kiln.get("/api/v1/services/shop/functions/orders/invocations/" + requestId);
        assertThat(record.statusCode()).isEqualTo(200);
        JsonNode rec = json(record);
        assertThat(rec.path("outcome").asText()).isEqualTo("ok");
        assertThat(rec.path("logs").get(0).path("message").asText())
                .isEqualTo("order received A-1001");
        assertThat(rec.path("logs").get(0).path("level").asText()).isEqualTo("info");

        var list = json(kiln.get("/api/v1/services/shop/functions/orders/invocations"));
        assertThat(list.path("invocations").get(0).path("requestId").asText()).isEqualTo(requestId);

        var logs = json(kiln.get("/api/v1/services/shop/functions/orders/logs"));
        assertThat(logs.path("logs").get(0).path("message").asText())
                .isEqualTo("order received A-1001");
        assertThat(logs.path("logs").get(0).path("requestId").asText()).isEqualTo(requestId);
    }

    @Test
    void anEventWithoutOrderIdIsAGuestErrorWithTheGuestsMessage() {
        kiln.deploy("shop", "orders", Wat.fixture("order_summary"));
        var r = kiln.invoke("shop", "orders", "{\"type\":\"order.submitted\"}");
        assertThat(r.statusCode()).isEqualTo(500);
        assertThat(errorCode(r)).isEqualTo("guest_error");
        assertThat(json(r).path("error").path("message").asText()).isEqualTo("missing orderId");
        assertThat(json(r).path("error").path("requestId").asText())
                .isEqualTo(r.headers().firstValue("X-Kiln-Request-Id").orElseThrow());
    }

    @Test
    void configIsReadThroughTheAbiAndChangedByPatch() {
        kiln.deploy("demo", "greet", Wat.fixture("config"));
        assertThat(text(kiln.invoke("demo", "greet", "world"))).isEqualTo("no greeting");

        var patched = kiln.patch("demo", "greet", "{\"env\":{\"GREETING\":\"Grüß dich\"}}");
        assertThat(patched.statusCode()).isEqualTo(200);
        assertThat(json(patched).path("settings").path("env").path("GREETING").asText())
                .isEqualTo("Grüß dich");
        assertThat(text(kiln.invoke("demo", "greet", "world"))).isEqualTo("Grüß dich, world");

        var bad = kiln.patch("demo", "greet", "{\"memoryMiB\":\"lots\"}");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(errorCode(bad)).isEqualTo("bad_request");
        var unknown = kiln.patch("demo", "greet", "{\"colour\":\"red\"}");
        assertThat(json(unknown).path("error").path("message").asText()).contains("colour");
    }

    @Test
    void aTrapIsGuestTrapWithoutJavaInternals() {
        kiln.deploy("demo", "trap", Wat.fixture("trap"));
        var r = kiln.invoke("demo", "trap", "x");
        assertThat(r.statusCode()).isEqualTo(500);
        assertThat(errorCode(r)).isEqualTo("guest_trap");
        assertThat(text(r)).doesNotContain("Exception", "at com.", "at dev.", "java.");
        // The host keeps serving.
        kiln.deploy("demo", "echo", Wat.fixture("echo"));
        assertThat(text(kiln.invoke("demo", "echo", "still here"))).isEqualTo("still here");
    }

    @Test
    void unknownFunctionIsNotFoundOnBothTriggers() {
        var r = kiln.invoke("demo", "missing", "x");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(errorCode(r)).isEqualTo("function_not_found");
        var h = kiln.send(kiln.request("/fn/demo/missing/").GET().build());
        assertThat(h.statusCode()).isEqualTo(404);
        assertThat(errorCode(h)).isEqualTo("function_not_found");
    }

    @Test
    void forbiddenImportIsRefusedAndNothingIsStored() throws IOException {
        var r = kiln.deploy("demo", "bad", Wat.fixture("forbidden_import"));
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(errorCode(r)).isEqualTo("invalid_module");
        assertThat(json(r).path("error").path("message").asText())
                .contains("wasi_snapshot_preview1");
        assertThat(kiln.get("/api/v1/services/demo/functions/bad").statusCode()).isEqualTo(404);
        assertThat(json(kiln.get("/api/v1/services")).path("services")).isEmpty();
        assertThat(blobCount()).isZero();
    }

    @Test
    void truncatedModuleIsRefusedAndAnUpdateThatFailsKeepsTheOldVersion() throws IOException {
        kiln.deploy("demo", "echo", Wat.fixture("echo"));
        byte[] echo = Wat.fixture("echo");
        var r = kiln.deploy("demo", "echo", Arrays.copyOf(echo, echo.length / 2));
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(errorCode(r)).isEqualTo("invalid_module");
        var fn = json(kiln.get("/api/v1/services/demo/functions/echo"));
        assertThat(fn.path("version").path("number").asInt()).isEqualTo(1);
        assertThat(text(kiln.invoke("demo", "echo", "ok"))).isEqualTo("ok");
        assertThat(blobCount()).isEqualTo(1);
    }

    @Test
    void wrongExportSignatureIsRefused() {
        var r = kiln.deploy("demo", "sig", Wat.fixture("bad_signature"));
        assertThat(errorCode(r)).isEqualTo("invalid_module");
        assertThat(json(r).path("error").path("message").asText()).contains("kiln_handle");
    }

    @Test
    void unauthorizedUploadIsRefused() {
        var noToken =
                kiln.send(
                        kiln.request("/api/v1/services/demo/functions/echo")
                                .PUT(HttpRequest.BodyPublishers.ofByteArray(Wat.fixture("echo")))
                                .build());
        assertThat(noToken.statusCode()).isEqualTo(401);
        assertThat(errorCode(noToken)).isEqualTo("unauthorized");
        var wrongToken =
                kiln.send(
                        kiln.request("/api/v1/services/demo/functions/echo")
                                .header("Authorization", "Bearer nope")
                                .PUT(HttpRequest.BodyPublishers.ofByteArray(Wat.fixture("echo")))
                                .build());
        assertThat(wrongToken.statusCode()).isEqualTo(401);
        assertThat(json(kiln.get("/api/v1/services")).path("services")).isEmpty();
    }

    @Test
    void functionsSurviveARestart() {
        kiln.deploy("demo", "echo", Wat.fixture("echo"));
        kiln.patch("demo", "echo", "{\"description\":\"kept\"}");
        kiln.close();
        kiln = TestHost.start(data);
        var r = kiln.invoke("demo", "echo", "after restart");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(text(r)).isEqualTo("after restart");
        assertThat(
                        json(kiln.get("/api/v1/services/demo/functions/echo"))
                                .path("settings")
                                .path("description")
                                .asText())
                .isEqualTo("kept");
    }

    @Test
    void updatesMakeNewVersionsAndDeleteRemoves() {
        kiln.deploy("demo", "f", Wat.fixture("echo"));
        var second = kiln.deploy("demo", "f", Wat.fixture("uppercase"));
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(json(second).path("version").path("number").asInt()).isEqualTo(2);
        var versions = json(kiln.get("/api/v1/services/demo/functions/f/versions"));
        assertThat(versions.path("versions")).hasSize(2);
        var listed = json(kiln.get("/api/v1/services/demo/functions"));
        assertThat(listed.path("functions").get(0).path("name").asText()).isEqualTo("f");
        assertThat(json(kiln.get("/api/v1/services")).path("services").get(0).asText())
                .isEqualTo("demo");

        var deleted = kiln.send(kiln.admin("/api/v1/services/demo/functions/f").DELETE().build());
        assertThat(deleted.statusCode()).isEqualTo(204);
        assertThat(kiln.invoke("demo", "f", "x").statusCode()).isEqualTo(404);
        var again = kiln.send(kiln.admin("/api/v1/services/demo/functions/f").DELETE().build());
        assertThat(errorCode(again)).isEqualTo("function_not_found");
    }

    @Test
    void zipUploadsCarryTheirSettings() throws IOException {
        byte[] zip =
                zip(
                        "kiln.json",
                        "{\"module\":\"greet.wasm\",\"timeoutMs\":2000,\"env\":{\"GREETING\":\"Hello\"}}"
                                .getBytes(StandardCharsets.UTF_8),
                        "greet.wasm",
                        Wat.fixture("config"));
        var r =
                kiln.send(
                        kiln.admin("/api/v1/services/demo/functions/greet")
                                .header("Content-Type", "application/zip")
                                .PUT(HttpRequest.BodyPublishers.ofByteArray(zip))
                                .build());
        assertThat(r.statusCode()).isEqualTo(201);
        assertThat(json(r).path("settings").path("timeoutMs").asInt()).isEqualTo(2000);
        assertThat(text(kiln.invoke("demo", "greet", "zip"))).isEqualTo("Hello, zip");

        byte[] slip =
                zip(
                        "kiln.json",
                        "{\"module\":\"../x.wasm\"}".getBytes(StandardCharsets.UTF_8),
                        "../x.wasm",
                        Wat.fixture("echo"));
        var refused =
                kiln.send(
                        kiln.admin("/api/v1/services/demo/functions/slip")
                                .header("Content-Type", "application/zip")
                                .PUT(HttpRequest.BodyPublishers.ofByteArray(slip))
                                .build());
        assertThat(errorCode(refused)).isEqualTo("invalid_module");
        assertThat(kiln.get("/api/v1/services/demo/functions/slip").statusCode()).isEqualTo(404);
    }

    @Test
    void oversizedPayloadIsRefusedAndTheHostStillServes() {
        kiln.close();
        kiln = TestHost.start(data, b -> b.maxPayloadBytes(1024));
        kiln.deploy("demo", "echo", Wat.fixture("echo"));
        var atCap = kiln.invoke("demo", "echo", new byte[1024]);
        assertThat(atCap.statusCode()).isEqualTo(200);
        var over = kiln.invoke("demo", "echo", new byte[1025]);
        assertThat(over.statusCode()).isEqualTo(413);
        assertThat(errorCode(over)).isEqualTo("payload_too_large");
        assertThat(text(kiln.invoke("demo", "echo", "fine"))).isEqualTo("fine");
    }

    @Test
    void aGuestPastItsDeadlineTimesOutAndTheWorkerRecovers() {
        kiln.deploy("demo", "spin", Wat.fixture("loop_forever"));
        // A fuel budget far beyond what 200 ms can burn, so the deadline is what stops it.
        kiln.patch("demo", "spin", "{\"timeoutMs\":200,\"fuel\":1000000000000}");
        var r = kiln.invoke("demo", "spin", "x");
        assertThat(r.statusCode()).isEqualTo(504);
        assertThat(errorCode(r)).isEqualTo("timeout");
        kiln.deploy("demo", "echo", Wat.fixture("echo"));
        for (int i = 0; i < 20; i++) {
            assertThat(text(kiln.invoke("demo", "echo", "next " + i))).isEqualTo("next " + i);
        }
    }

    @Test
    void fuelIsMeteredDeterministicallyAndRecorded() {
        kiln.deploy("demo", "orders", Wat.fixture("order_summary"));
        String event = "{\"orderId\":\"A-1\"}";
        var first = kiln.invoke("demo", "orders", event);
        long fuel = Long.parseLong(first.headers().firstValue("X-Kiln-Fuel").orElseThrow());
        assertThat(fuel).isPositive();
        for (int i = 0; i < 5; i++) {
            assertThat(kiln.invoke("demo", "orders", event).headers().firstValue("X-Kiln-Fuel"))
                    .hasValue(Long.toString(fuel));
        }
        kiln.host().flushRecords();
        String id = first.headers().firstValue("X-Kiln-Request-Id").orElseThrow();
        assertThat(
                        json(kiln.get("/api/v1/services/demo/functions/orders/invocations/" + id))
                                .path("fuel")
                                .asLong())
                .isEqualTo(fuel);

        kiln.deploy("demo", "spin", Wat.fixture("loop_forever"));
        kiln.patch("demo", "spin", "{\"fuel\":50000,\"timeoutMs\":60000}");
        var spun = kiln.invoke("demo", "spin", "x");
        assertThat(spun.statusCode()).isEqualTo(500);
        assertThat(errorCode(spun)).isEqualTo("fuel_exhausted");
        assertThat(spun.headers().firstValue("X-Kiln-Fuel")).hasValue("50000");
        assertThat(errorCode(kiln.patch("demo", "spin", "{\"fuel\":-1}"))).isEqualTo("bad_request");
    }

    @Test
    void aBadPointerIsAnAbiViolation() {
        kiln.deploy("demo", "abi", Wat.fixture("abi_violation"));
        var r = kiln.invoke("demo", "abi", "x");
        assertThat(r.statusCode()).isEqualTo(500);
        assertThat(errorCode(r)).isEqualTo("abi_violation");
        kiln.deploy("demo", "res", Wat.fixture("bad_result"));
        assertThat(errorCode(kiln.invoke("demo", "res", "x"))).isEqualTo("abi_violation");
    }

    @Test
    void contextReportsRequestIdAndNames() {
        kiln.deploy("demo", "ctx", Wat.fixture("context"));
        var r = kiln.invoke("demo", "ctx", "");
        String id = r.headers().firstValue("X-Kiln-Request-Id").orElseThrow();
        assertThat(text(r)).isEqualTo(id + "|demo|ctx|invoke");
    }

    @Test
    void unknownRoutesAndMethodsGetStableErrors() {
        assertThat(errorCode(kiln.get("/api/v1/nothing"))).isEqualTo("not_found");
        var wrongType =
                kiln.send(
                        kiln.admin("/api/v1/services/demo/functions/x")
                                .header("Content-Type", "text/plain")
                                .PUT(HttpRequest.BodyPublishers.ofString("hi"))
                                .build());
        assertThat(wrongType.statusCode()).isEqualTo(415);
        var badName = kiln.deploy("Demo", "x", Wat.fixture("echo"));
        assertThat(badName.statusCode()).isEqualTo(400);
    }

    @Test
    void aSecondHostOnTheSameDataDirectoryIsRefused() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TestHost.start(data))
                .hasMessageContaining("in use by another Kiln host");
        assertThat(text(kiln.send(kiln.request("/healthz").build()))).contains("ok");
    }

    private long blobCount() throws IOException {
        Path modules = data.resolve("modules");
        if (!Files.exists(modules)) {
            return 0;
        }
        try (var files = Files.walk(modules)) {
            return files.filter(p -> p.toString().endsWith(".wasm")).count();
        }
    }

    private static byte[] zip(Object... nameAndBytes) throws IOException {
        var out = new ByteArrayOutputStream();
        try (var zip = new ZipOutputStream(out)) {
            for (int i = 0; i < nameAndBytes.length; i += 2) {
                zip.putNextEntry(new ZipEntry((String) nameAndBytes[i]));
                zip.write((byte[]) nameAndBytes[i + 1]);
                zip.closeEntry();
            }
        }
        return out.toByteArray();
    }
}
