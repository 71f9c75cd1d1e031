package dev.kiln.host.examples;

import static dev.kiln.host.testing.TestHost.errorCode;
import static dev.kiln.host.testing.TestHost.json;
import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.host.testing.TestHost;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Builds guest-sdks/wasi-cgi with its own build.sh (C with wasi-libc, Rust with Debian's rustc; Go
 * too where Go 1.23 is installed), uploads every example's zip to a real host and checks its
 * answers.
 */
@Tag("slow") // builds guest-sdks/wasi-cgi with clang and Rust
class WasiCgiExamplesTest {
    static final Path SDK = Path.of("..", "guest-sdks", "wasi-cgi").toAbsolutePath().normalize();
    static final Path OUT = Path.of("target", "wasi-cgi-examples").toAbsolutePath();

    /** Go is optional (bookworm-backports); CI does not install it. */
    static final boolean GO = Files.isExecutable(Path.of("/usr/lib/go-1.23/bin/go"));

    @TempDir static Path data;
    static TestHost kiln;

    @BeforeAll
    @Timeout(value = 30, unit = TimeUnit.MINUTES) // build.sh may install the toolchains first
    static void buildAndStart() throws Exception {
        var command = new ArrayList<>(List.of("bash", SDK.resolve("build.sh").toString()));
        command.addAll(List.of("--out", OUT.toString()));
        if (GO) {
            command.add("--go");
        }
        Process build = new ProcessBuilder(command).redirectErrorStream(true).start();
        String log = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(build.waitFor(10, TimeUnit.MINUTES)).isTrue();
        assertThat(build.exitValue()).as("guest-sdks/wasi-cgi/build.sh:\n" + log).isZero();
        System.out.print(log);
        kiln = TestHost.start(data);
        for (String lang : new String[] {"c", "rust"}) {
            for (String name : new String[] {"hello", "echo", "env", "fail", "logs"}) {
                var r = upload(name + "-" + lang, OUT.resolve(lang).resolve(name + ".zip"));
                assertThat(r.statusCode()).as(name + "-" + lang + ": " + text(r)).isEqualTo(201);
            }
        }
        if (GO) {
            // Go modules are 2 MB: compiling each takes seconds, so only two of them.
            for (String name : new String[] {"hello", "fail"}) {
                var r = upload(name + "-go", OUT.resolve("go").resolve(name + ".zip"));
                assertThat(r.statusCode()).as(name + "-go: " + text(r)).isEqualTo(201);
            }
        }
    }

    @AfterAll
    static void stop() {
        if (kiln != null) {
            kiln.close();
        }
    }

    private static HttpResponse<byte[]> upload(String function, Path zip) throws IOException {
        long start = System.nanoTime();
        try {
            return uploadOnce(function, zip);
        } finally {
            System.out.printf(
                    "upload %s: %d ms%n", function, (System.nanoTime() - start) / 1_000_000);
        }
    }

    private static HttpResponse<byte[]> uploadOnce(String function, Path zip) throws IOException {
        return kiln.send(
                kiln.admin("/api/v1/services/examples/functions/" + function)
                        // A 2 MB Go module is compiled and checked before the answer.
                        .timeout(Duration.ofMinutes(3))
                        .header("Content-Type", "application/zip")
                        .PUT(HttpRequest.BodyPublishers.ofByteArray(Files.readAllBytes(zip)))
                        .build());
    }

    private static HttpResponse<byte[]> get(String path) {
        return kiln.send(kiln.request(path).GET().build());
    }

    private static String who(String lang) {
        return switch (lang) {
            case "c" -> "C";
            case "go" -> "Go";
            default -> "Rust";
        };
    }

    @Test
    void goExamplesRunToo() {
        if (System.getenv("KILN_REQUIRE_GO") != null) {
            // .ci/run installs it: in CI a missing Go is a failure, not a skip.
            assertThat(GO).as("Go 1.23 at /usr/lib/go-1.23 (installed by .ci/run)").isTrue();
        }
        assumeTrue(GO, "Go 1.23 (bookworm-backports) is not installed");
        var r = get("/fn/examples/hello-go/?Kiln");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("x-hello")).hasValue("go");
        assertThat(text(r)).isEqualTo("Hello from Go, Kiln!\n");
        var fail = kiln.invoke("examples", "fail-go", "");
        assertThat(errorCode(fail)).isEqualTo("guest_error");
        assertThat(json(fail).path("error").path("message").asText())
                .isEqualTo(
                        "the function exited with code 3: fail: the order service is unreachable");
    }

    @ParameterizedTest
    @ValueSource(strings = {"c", "rust"})
    void helloAnswersWithItsHeaders(String lang) {
        var r = get("/fn/examples/hello-" + lang + "/");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValue("text/plain; charset=utf-8");
        assertThat(r.headers().firstValue("x-hello")).hasValue(lang);
        assertThat(text(r)).isEqualTo("Hello from " + who(lang) + ", world!\n");
        assertThat(text(get("/fn/examples/hello-" + lang + "/?Kiln")))
                .isEqualTo("Hello from " + who(lang) + ", Kiln!\n");
        var event = kiln.invoke("examples", "hello-" + lang, "ignored");
        assertThat(event.statusCode()).isEqualTo(200);
        assertThat(text(event)).isEqualTo("Hello from " + who(lang) + ", world!\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"c", "rust"})
    void echoReturnsTheBodyAndItsType(String lang) {
        byte[] body = new byte[200_000];
        new Random(42).nextBytes(body);
        var r =
                kiln.send(
                        kiln.request("/fn/examples/echo-" + lang + "/")
                                .header("Content-Type", "application/x-test")
                                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                                .build());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValue("application/x-test");
        assertThat(r.body()).isEqualTo(body);
        assertThat(kiln.invoke("examples", "echo-" + lang, "event bytes").body())
                .isEqualTo("event bytes".getBytes(StandardCharsets.UTF_8));
    }

    @ParameterizedTest
    @ValueSource(strings = {"c", "rust"})
    void envShowsCgiVariablesConfigAndArgs(String lang) {
        kiln.patch("examples", "env-" + lang, "{\"env\":{\"GREETING\":\"hello\"}}");
        var r = get("/fn/examples/env-" + lang + "/orders/7?full=1");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(text(r).lines())
                .startsWith("argv[0]=env-" + lang + " argc=1")
                .contains(
                        "GATEWAY_INTERFACE=CGI/1.1",
                        "REQUEST_METHOD=GET",
                        "PATH_INFO=/orders/7",
                        "QUERY_STRING=full=1",
                        "SCRIPT_NAME=/fn/examples/env-" + lang,
                        "REMOTE_ADDR=127.0.0.1",
                        "GREETING=hello",
                        "KILN_TRIGGER=http");
    }

    @ParameterizedTest
    @ValueSource(strings = {"c", "rust"})
    void exitCodeThreeIsAGuestError(String lang) {
        var r = kiln.invoke("examples", "fail-" + lang, "");
        assertThat(r.statusCode()).isEqualTo(500);
        assertThat(errorCode(r)).isEqualTo("guest_error");
        assertThat(json(r).path("error").path("message").asText())
                .isEqualTo(
                        "the function exited with code 3: fail: the order service is unreachable");
    }

    /**
     * A wasi-cgi program may import kiln's key-value functions next to WASI (ABI.md 9.2): the count
     * lives in the service's store, so it grows although every request runs a new instance.
     */
    @Test
    void counterKeepsItsCountInTheKeyValueStore() throws IOException {
        var up = upload("counter-c", OUT.resolve("c").resolve("counter.zip"));
        assertThat(up.statusCode()).as(text(up)).isEqualTo(201);
        for (int i = 1; i <= 3; i++) {
            var r = get("/fn/examples/counter-c/home");
            assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
            assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
            assertThat(text(r)).isEqualTo("{\"page\":\"/home\",\"views\":" + i + "}");
        }
        var stored = kiln.get("/api/v1/services/examples/kv/views:%2Fhome");
        assertThat(text(stored)).isEqualTo("3");

        var del = kiln.send(kiln.request("/fn/examples/counter-c/home").DELETE().build());
        assertThat(text(del)).isEqualTo("{\"page\":\"/home\",\"deleted\":true}");
        assertThat(text(get("/fn/examples/counter-c/home")))
                .isEqualTo("{\"page\":\"/home\",\"views\":1}");

        // "views:" + a 300-byte path is over the 256-byte key limit: ERR_LIMIT (-3).
        var tooLong = get("/fn/examples/counter-c/" + "k".repeat(299));
        assertThat(errorCode(tooLong)).isEqualTo("guest_error");
        assertThat(json(tooLong).path("error").path("message").asText())
                .isEqualTo("the function exited with code 1: counter: kv_increment failed with -3");
    }

    @ParameterizedTest
    @ValueSource(strings = {"c", "rust"})
    void stderrLinesLandInTheLogs(String lang) {
        var r =
                kiln.send(
                        kiln.request("/fn/examples/logs-" + lang + "/checkout")
                                .POST(HttpRequest.BodyPublishers.ofString("x"))
                                .build());
        assertThat(r.statusCode()).isEqualTo(202);
        assertThat(text(r)).isEqualTo("logged 2 lines\n");
        String id = r.headers().firstValue("X-Kiln-Request-Id").orElseThrow();
        kiln.host().flushRecords();
        JsonNode rec =
                json(
                        kiln.get(
                                "/api/v1/services/examples/functions/logs-"
                                        + lang
                                        + "/invocations/"
                                        + id));
        assertThat(rec.path("logs").get(0).path("message").asText())
                .isEqualTo("handling POST /checkout");
        assertThat(rec.path("logs").get(1).path("message").asText()).isEqualTo("request id " + id);
    }
}
