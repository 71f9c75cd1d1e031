package dev.kiln.sdk.e2e;

import static dev.kiln.sdk.e2e.KilnUnderTest.header;
import static dev.kiln.sdk.e2e.KilnUnderTest.json;
import static dev.kiln.sdk.e2e.KilnUnderTest.messages;
import static dev.kiln.sdk.e2e.KilnUnderTest.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * JavaScript functions (guest-sdks/js, docs/adr/0049): the examples built by the SDK's build.sh and
 * test fixtures built by runtime/build.sh, from source, deployed to a real host.
 */
@Tag("slow") // builds QuickJS (cached across runs) and links every function
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JsFunctionsTest implements FetchExampleContract, RuntimeExamplesContract {
    static final String SERVICE = "js";
    static final List<String> EXAMPLES = List.of("hello", "order", "transform", "counter");
    static final List<String> FIXTURES =
            List.of("throws", "loop", "recurse", "memory", "shapes", "syntax", "noexport");
    static final Path FIXTURE_DIR =
            Path.of("src", "test", "resources", "js").toAbsolutePath().normalize();
    static final Path BUILT = Path.of("target", "js-fixtures").toAbsolutePath();

    KilnUnderTest kiln;

    @BeforeAll
    void buildAndDeploy() {
        SdkBuild.ensureBuilt("js");
        List<String> command = new ArrayList<>(List.of("bash", "-c"));
        StringBuilder script = new StringBuilder("set -e; mkdir -p '" + BUILT + "'; ");
        for (String f : FIXTURES) {
            script.append(
                    "runtime/build.sh '%s/%s.js' '%s/%s.wasm'; "
                            .formatted(FIXTURE_DIR, f, BUILT, f));
        }
        command.add(script.toString());
        SdkBuild.run(SdkBuild.SDKS.resolve("js"), "build-js-fixtures", command);
        kiln = KilnUnderTest.start(getClass().getSimpleName());
        for (String example : EXAMPLES) {
            deployOk(example, SdkBuild.SDKS.resolve("js/build/" + example + ".wasm"));
        }
        for (String f : List.of("throws", "loop", "recurse", "memory", "shapes")) {
            deployOk(f, BUILT.resolve(f + ".wasm"));
        }
    }

    private void deployOk(String name, Path module) {
        var r = kiln.deploy(SERVICE, name, SdkBuild.read(module));
        assertThat(r.statusCode()).as("deploy %s: %s", name, text(r)).isEqualTo(201);
    }

    @Override
    public KilnUnderTest kiln() {
        return kiln;
    }

    @Override
    public String service() {
        return SERVICE;
    }

    @Override
    public String refusalType() {
        return "Error";
    }

    @Override
    public Path module(String name) {
        return SdkBuild.SDKS.resolve("js/build/" + name + ".wasm");
    }

    @AfterAll
    void stop() {
        if (kiln != null) {
            kiln.close();
        }
    }

    @Test
    void everyFunctionRunsOnOneCompilationOfTheRuntime() {
        kiln.assertCompiledOnce(EXAMPLES.size() + 5);
    }

    @Test
    void helloAnswersInvokeAndHttpAndLogsThroughConsole() {
        var r = kiln.invoke(SERVICE, "hello", "");
        assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
        assertThat(text(r)).isEqualTo("Hello world!");
        String id = header(r, "X-Kiln-Request-Id");
        assertThat(messages(kiln.awaitRecord(SERVICE, "hello", id)))
                .containsExactly("hello from hello (" + id + ")");

        var http = kiln.http("GET", SERVICE, "hello", "/greet?name=Kiln", new byte[0]);
        assertThat(text(http)).isEqualTo("Hello, Kiln! (GET /greet)\n");
        assertThat(header(http, "content-type")).isEqualTo("text/plain; charset=utf-8");
        assertThat(header(http, "x-sdk")).isEqualTo("js");

        // Every later call runs on a reset instance from the snapshot taken after kiln_init.
        for (int i = 0; i < 3; i++) {
            var again = kiln.invoke(SERVICE, "hello", "");
            assertThat(text(again)).isEqualTo("Hello world!");
            assertThat(header(again, "X-Kiln-Start")).isEqualTo("pool");
        }
    }

    @Test
    void orderLogsItsItemsAtDebugAndAnswersBytes() {
        var r = kiln.invoke(SERVICE, "order", SdkExamplesContract.ORDER);
        assertThat(header(r, "content-type")).isEqualTo("application/octet-stream");
        JsonNode record = kiln.awaitRecord(SERVICE, "order", header(r, "X-Kiln-Request-Id"));
        assertThat(record.path("logs").get(1).path("level").asText()).isEqualTo("debug");
    }

    @Test
    void counterKeepsItsCountInTheKeyValueStore() {
        for (int i = 1; i <= 3; i++) {
            var r = kiln.invoke(SERVICE, "counter", "visits");
            assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
            JsonNode body = json(r);
            assertThat(body.path("key").asText()).isEqualTo("count:visits");
            assertThat(body.path("count").asInt()).isEqualTo(i);
            assertThat(body.path("last").asText()).isEqualTo(header(r, "X-Kiln-Request-Id"));
        }
    }

    @Test
    void aThrownExceptionIsAGuestErrorWithMessageAndStackInTheLogs() {
        var r = kiln.invoke(SERVICE, "throws", "42");
        assertGuestError(r, "TypeError: payment 42 declined");
        List<String> logs =
                messages(kiln.awaitRecord(SERVICE, "throws", header(r, "X-Kiln-Request-Id")));
        assertThat(logs).hasSize(2);
        assertThat(logs.get(0)).isEqualTo("about to fail");
        assertThat(logs.get(1))
                .startsWith("TypeError: payment 42 declined\n")
                .contains("at checkPayment (handler.js")
                .contains("at handler (handler.js");
        // A rejected promise of an async handler is the same.
        assertGuestError(kiln.invoke(SERVICE, "shapes", "reject"), "RangeError: rejected later");
        assertThat(text(kiln.invoke(SERVICE, "throws", "again"))).contains("payment again");
    }

    @Test
    void anInfiniteLoopRunsOutOfFuelOrTimeAndTheHostServesOn() {
        var patched = kiln.patch(SERVICE, "loop", "{\"fuel\": 50000000, \"timeoutMs\": 60000}");
        assertThat(patched.statusCode()).as(text(patched)).isEqualTo(200);
        var r = kiln.invoke(SERVICE, "loop", "spin");
        assertThat(r.statusCode()).as(text(r)).isEqualTo(500);
        assertThat(json(r).path("error").path("code").asText()).isEqualTo("fuel_exhausted");
        // A normal call of the same function takes far less than that fuel.
        var fine = kiln.invoke(SERVICE, "loop", "ok");
        assertThat(Long.parseLong(header(fine, "X-Kiln-Fuel"))).isLessThan(5_000_000L);

        var timed = kiln.patch(SERVICE, "loop", "{\"fuel\": 1000000000000, \"timeoutMs\": 300}");
        assertThat(timed.statusCode()).as(text(timed)).isEqualTo(200);
        var t = kiln.invoke(SERVICE, "loop", "spin");
        assertThat(t.statusCode()).as(text(t)).isEqualTo(504);
        assertThat(json(t).path("error").path("code").asText()).isEqualTo("timeout");

        // A deadline the next (new) instance can meet on a loaded machine.
        kiln.patch(SERVICE, "loop", "{\"timeoutMs\": 10000}");
        assertThat(text(kiln.invoke(SERVICE, "loop", "ok"))).isEqualTo("still serving");
    }

    @Test
    void deepRecursionIsAJsErrorNotACrash() {
        var r = kiln.invoke(SERVICE, "recurse", "go");
        assertGuestError(r, "InternalError: stack overflow");
        assertThat(text(kiln.invoke(SERVICE, "recurse", "ok"))).isEqualTo("still serving");
    }

    @Test
    void theMemoryCapEndsAnAllocatingFunction() {
        var patched = kiln.patch(SERVICE, "memory", "{\"memoryMiB\": 16}");
        assertThat(patched.statusCode()).as(text(patched)).isEqualTo(200);
        var r = kiln.invoke(SERVICE, "memory", "grow");
        assertThat(r.statusCode()).as(text(r)).isEqualTo(500);
        // QuickJS sees malloc fail and throws "out of memory" (guest_error); a trap after the
        // refused grow would be memory_limit. Either way the cap held.
        assertThat(json(r).path("error").path("code").asText()).isIn("guest_error", "memory_limit");
        assertThat(text(kiln.invoke(SERVICE, "memory", "ok"))).isEqualTo("still serving");
    }

    @Test
    void resultShapesContextAndGlobals() {
        assertThat(kiln.invoke(SERVICE, "shapes", "bytes").body())
                .containsExactly(0, 1, 2, (byte) 255);
        assertThat(text(kiln.invoke(SERVICE, "shapes", "buffer"))).isEqualTo("hi");
        assertThat(kiln.invoke(SERVICE, "shapes", "null").body()).isEmpty();
        assertThat(text(kiln.invoke(SERVICE, "shapes", "async"))).isEqualTo("awaited");
        assertThat(text(kiln.invoke(SERVICE, "shapes", "text"))).isEqualTo("grüße ✓ 🎉");
        // Module state starts from the snapshot every time (isolation fresh).
        assertThat(text(kiln.invoke(SERVICE, "shapes", "calls"))).isEqualTo("1");
        assertThat(text(kiln.invoke(SERVICE, "shapes", "calls"))).isEqualTo("1");
        // Math.random is seeded per invocation, not frozen in the snapshot.
        assertThat(text(kiln.invoke(SERVICE, "shapes", "random")))
                .isNotEqualTo(text(kiln.invoke(SERVICE, "shapes", "random")));

        var ctx = kiln.invoke(SERVICE, "shapes", "context");
        JsonNode c = json(ctx);
        assertThat(c.path("requestId").asText()).isEqualTo(header(ctx, "X-Kiln-Request-Id"));
        assertThat(c.path("functionName").asText()).isEqualTo("shapes");
        assertThat(c.path("service").asText()).isEqualTo(SERVICE);
        assertThat(c.path("trigger").asText()).isEqualTo("invoke");
        assertThat(c.path("remaining").asBoolean()).isTrue();
        assertThat(c.path("bodyLength").asInt()).isEqualTo(7);
        assertThat(c.path("request").isNull()).isTrue();

        var echo = kiln.invoke(SERVICE, "shapes", new byte[] {'a', (byte) 0xff});
        assertThat(json(echo).path("bytes").toString()).isEqualTo("[97,255]");

        var http =
                kiln.send(
                        kiln.request("/fn/" + SERVICE + "/shapes/a/b?q=x%20y")
                                .header("X-Test", "t1")
                                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("body!"))
                                .build());
        assertThat(http.statusCode()).as(text(http)).isEqualTo(201);
        assertThat(text(http)).isEqualTo("POST /a/b x y t1 body!");
        assertThat(http.headers().allValues("x-multi")).containsExactly("a", "b");

        kiln.patch(SERVICE, "shapes", "{\"env\": {\"GREETING\": \"Grüß dich\"}}");
        assertThat(text(kiln.invoke(SERVICE, "shapes", "config"))).isEqualTo("Grüß dich");
    }

    @Test
    void sourceThatDoesNotEvaluateIsRefusedAtUpload() {
        for (String f : List.of("syntax", "noexport")) {
            var r = kiln.deploy(SERVICE, f, SdkBuild.read(BUILT.resolve(f + ".wasm")));
            assertThat(r.statusCode()).as("%s: %s", f, text(r)).isEqualTo(400);
            assertThat(json(r).path("error").path("code").asText()).isEqualTo("invalid_module");
        }
        assertThat(text(kiln.invoke(SERVICE, "hello", ""))).isEqualTo("Hello world!");
    }
}
