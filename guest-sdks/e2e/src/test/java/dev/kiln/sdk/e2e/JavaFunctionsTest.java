package dev.kiln.sdk.e2e;

import static dev.kiln.sdk.e2e.KilnUnderTest.header;
import static dev.kiln.sdk.e2e.KilnUnderTest.json;
import static dev.kiln.sdk.e2e.KilnUnderTest.messages;
import static dev.kiln.sdk.e2e.KilnUnderTest.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Java functions (guest-sdks/java, docs/adr/0051): the examples built by the SDK's build.sh and
 * test fixtures built by runtime/build.sh, from source with TeaVM, deployed to a real host as
 * wasi-cgi commands.
 */
@Tag("slow") // fetches TeaVM through Maven (cached across runs) and compiles every function
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JavaFunctionsTest implements RuntimeExamplesContract {
    static final String SERVICE = "java";
    static final List<String> EXAMPLES = List.of("hello", "order", "transform");
    static final List<String> FIXTURES = List.of("Throws", "Loop", "Memory", "Shapes");
    static final Path FIXTURE_DIR =
            Path.of("src", "test", "resources", "java").toAbsolutePath().normalize();
    static final Path BUILT = Path.of("target", "java-fixtures").toAbsolutePath();

    KilnUnderTest kiln;

    @BeforeAll
    void buildAndDeploy() {
        SdkBuild.ensureBuilt("java");
        // Each fixture is rebuilt when it or the runtime changed since its zip was built.
        StringBuilder script = new StringBuilder("set -e; mkdir -p '" + BUILT + "'; ");
        for (String f : FIXTURES) {
            script.append(
                    ("z='%s/%s.zip'; s='%s/%s.java'; if [ ! -f \"$z\" ] ||"
                                    + " [ -n \"$(find runtime \"$s\" -newer \"$z\")\" ]; then"
                                    + " runtime/build.sh \"$z\" \"$s\"; fi; ")
                            .formatted(BUILT, lower(f), FIXTURE_DIR, f));
        }
        SdkBuild.run(
                SdkBuild.SDKS.resolve("java"),
                "build-java-fixtures",
                List.of("bash", "-c", script.toString()));
        kiln = KilnUnderTest.start(getClass().getSimpleName());
        for (String example : EXAMPLES) {
            deployOk(example, SdkBuild.SDKS.resolve("java/build/" + example + ".zip"));
        }
        for (String f : FIXTURES) {
            deployOk(lower(f), BUILT.resolve(lower(f) + ".zip"));
        }
    }

    private static String lower(String name) {
        return name.toLowerCase(java.util.Locale.ROOT);
    }

    private void deployOk(String name, Path zip) {
        var r = kiln.deployZip(SERVICE, name, SdkBuild.read(zip));
        assertThat(r.statusCode()).as("deploy %s: %s", name, text(r)).isEqualTo(201);
        assertThat(json(r).path("settings").path("abi").asText()).as(text(r)).isEqualTo("wasi-cgi");
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
        return "java.lang.IllegalArgumentException";
    }

    @AfterAll
    void stop() {
        if (kiln != null) {
            kiln.close();
        }
    }

    @Test
    void helloAnswersInvokeAndHttpAndLogsItsPrints() {
        var r = kiln.invoke(SERVICE, "hello", "");
        assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
        assertThat(text(r)).isEqualTo("Hello world!");
        String id = header(r, "X-Kiln-Request-Id");
        assertThat(messages(kiln.awaitRecord(SERVICE, "hello", id)))
                .containsExactly("hello from hello (" + id + ")");

        var http = kiln.http("GET", SERVICE, "hello", "/greet?name=Kiln", new byte[0]);
        assertThat(http.statusCode()).as(text(http)).isEqualTo(200);
        assertThat(text(http)).isEqualTo("Hello, Kiln! (GET /greet)\n");
        assertThat(header(http, "content-type")).isEqualTo("text/plain; charset=utf-8");
        assertThat(header(http, "x-sdk")).isEqualTo("java");
    }

    @Test
    void aStreamHandlerGetsBytesAndTheRequest() {
        var echo = kiln.invoke(SERVICE, "shapes", new byte[] {'a', (byte) 0xff, 0, 'z'});
        assertThat(echo.statusCode()).as(text(echo)).isEqualTo(200);
        byte[] body = echo.body();
        assertThat(java.util.Arrays.copyOf(body, 4)).containsExactly('z', 0, (byte) 0xff, 'a');
        assertThat(new String(body, 4, body.length - 4, StandardCharsets.UTF_8))
                .isEqualTo("|POST  null null invoke true");
        assertThat(messages(kiln.awaitRecord(SERVICE, "shapes", header(echo, "X-Kiln-Request-Id"))))
                .containsExactly("got 4 bytes");

        var http =
                kiln.send(
                        kiln.request("/fn/" + SERVICE + "/shapes/a/b?q=x%20y")
                                .header("X-Test", "t1")
                                .PUT(java.net.http.HttpRequest.BodyPublishers.ofString("olleh"))
                                .build());
        assertThat(http.statusCode()).as(text(http)).isEqualTo(200);
        assertThat(text(http)).isEqualTo("hello|PUT /a/b x y t1 http true");

        kiln.patch(SERVICE, "shapes", "{\"env\": {\"GREETING\": \"Grüß dich\"}}");
        assertThat(text(kiln.invoke(SERVICE, "shapes", "env"))).isEqualTo("Grüß dich");
    }

    @Test
    void aThrownExceptionIsAGuestErrorWithItsMessageAndTheStackInTheLogs() {
        var r = kiln.invoke(SERVICE, "throws", "42");
        assertGuestError(r, "java.lang.IllegalStateException: payment 42 declined");
        // The function's frames (not the exception's constructors, not Kiln's entry point),
        // then the exception itself last.
        assertThat(messages(kiln.awaitRecord(SERVICE, "throws", header(r, "X-Kiln-Request-Id"))))
                .containsExactly(
                        "about to fail",
                        "\tat Throws.checkPayment(Throws.java:19)",
                        "\tat Throws.handle(Throws.java:5)",
                        "java.lang.IllegalStateException: payment 42 declined");
        var caused = kiln.invoke(SERVICE, "throws", "cause");
        assertGuestError(caused, "java.lang.IllegalArgumentException: payment amount unreadable");
        assertThat(
                        messages(
                                kiln.awaitRecord(
                                        SERVICE, "throws", header(caused, "X-Kiln-Request-Id"))))
                .containsExactly(
                        "about to fail",
                        "\tat Throws.checkPayment(Throws.java:16)",
                        "\tat Throws.handle(Throws.java:5)",
                        "caused by: java.lang.NumberFormatException: String contains digits out"
                                + " of radix 10: xcause",
                        // frames of an inlined call: right only with TeaVM's call sites patched
                        "\tat java.lang.Integer.parseIntImpl(TInteger.java:144)",
                        "\tat java.lang.Integer.parseInt(TInteger.java:105)",
                        "\tat java.lang.Integer.parseInt(TInteger.java:162)",
                        "\tat Throws.checkPayment(Throws.java:14)",
                        "\tat Throws.handle(Throws.java:5)",
                        "java.lang.IllegalArgumentException: payment amount unreadable");
        assertThat(text(kiln.invoke(SERVICE, "throws", "again")))
                .isEqualTo("payment again accepted");
    }

    @Test
    void anInfiniteLoopRunsOutOfFuelOrTimeAndTheHostServesOn() {
        var patched = kiln.patch(SERVICE, "loop", "{\"fuel\": 50000000, \"timeoutMs\": 60000}");
        assertThat(patched.statusCode()).as(text(patched)).isEqualTo(200);
        var r = kiln.invoke(SERVICE, "loop", "spin");
        assertThat(r.statusCode()).as(text(r)).isEqualTo(500);
        assertThat(json(r).path("error").path("code").asText()).isEqualTo("fuel_exhausted");
        var fine = kiln.invoke(SERVICE, "loop", "ok");
        assertThat(text(fine)).isEqualTo("still serving");
        assertThat(Long.parseLong(header(fine, "X-Kiln-Fuel"))).isLessThan(5_000_000L);

        var timed = kiln.patch(SERVICE, "loop", "{\"fuel\": 1000000000000, \"timeoutMs\": 300}");
        assertThat(timed.statusCode()).as(text(timed)).isEqualTo(200);
        var t = kiln.invoke(SERVICE, "loop", "spin");
        assertThat(t.statusCode()).as(text(t)).isEqualTo(504);
        assertThat(json(t).path("error").path("code").asText()).isEqualTo("timeout");

        kiln.patch(SERVICE, "loop", "{\"timeoutMs\": 10000}");
        assertThat(text(kiln.invoke(SERVICE, "loop", "ok"))).isEqualTo("still serving");
    }

    @Test
    void theMemoryCapEndsAnAllocatingFunction() {
        var patched = kiln.patch(SERVICE, "memory", "{\"memoryMiB\": 16}");
        assertThat(patched.statusCode()).as(text(patched)).isEqualTo(200);
        var r = kiln.invoke(SERVICE, "memory", "grow");
        assertThat(r.statusCode()).as(text(r)).isEqualTo(500);
        assertThat(json(r).path("error").path("code").asText()).isIn("memory_limit", "guest_error");
        assertThat(text(kiln.invoke(SERVICE, "memory", "ok"))).isEqualTo("still serving");
    }

    /**
     * TeaVM's exported-function mode broke once its GC first ran (~2-3k calls); as a WASI command
     * every invocation is a fresh instance, so thousands of calls stay correct.
     */
    @Test
    void fiveThousandCallsOfOneFunctionStayCorrect() {
        for (int i = 0; i < 5000; i++) {
            var r = kiln.invoke(SERVICE, "order", SdkExamplesContract.ORDER);
            assertThat(r.statusCode()).as("call %d: %s", i, text(r)).isEqualTo(200);
            assertThat(text(r)).as("call %d", i).isEqualTo(SdkExamplesContract.ORDER_SUMMARY);
        }
    }

    /** A wasi-cgi function's error is its exit: the message says so before the exception. */
    @Override
    public void assertGuestError(HttpResponse<byte[]> r, String message) {
        assertThat(r.statusCode()).as(text(r)).isEqualTo(500);
        JsonNode error = json(r).path("error");
        assertThat(error.path("code").asText()).isEqualTo("guest_error");
        assertThat(error.path("message").asText())
                .isEqualTo("the function exited with code 1: " + message);
    }
}
