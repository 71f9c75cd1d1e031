package dev.kiln.host.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.testing.TestHost;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The console's static files (docs/adr/0046): served without a key, with their content types, an
 * entity tag and the security headers; {@code /} and {@code /console} redirect; paths that could
 * name anything outside the console's folder are refused with {@code bad_request}, and the host
 * serves on. The browser test is console-tests' {@code ConsoleBrowserTest}.
 */
class ConsoleFilesTest {
    @TempDir static Path data;
    private static TestHost kiln;

    @BeforeAll
    static void start() {
        kiln = TestHost.start(data);
    }

    @AfterAll
    static void stop() {
        kiln.close();
    }

    private static HttpResponse<byte[]> anonymous(String path) {
        return kiln.send(kiln.request(path).GET().build());
    }

    @Test
    void theConsoleIsServedWithoutAKeyWithItsContentTypesAndSecurityHeaders() {
        var index = anonymous("/console/");
        assertThat(index.statusCode()).isEqualTo(200);
        assertThat(index.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
        assertThat(TestHost.text(index)).contains("<script type=\"module\" src=\"js/app.js\">");
        assertThat(index.headers().firstValue("x-content-type-options")).hasValue("nosniff");
        assertThat(index.headers().firstValue("content-security-policy").orElseThrow())
                .contains("script-src 'self'")
                .contains("default-src 'none'")
                .contains("frame-ancestors 'none'")
                .doesNotContain("unsafe-inline")
                .doesNotContain("unsafe-eval");
        assertThat(index.headers().firstValue("cache-control")).hasValue("no-cache");
        assertThat(anonymous("/console/index.html").body()).isEqualTo(index.body());

        assertThat(anonymous("/console/js/app.js").headers().firstValue("content-type"))
                .hasValue("text/javascript; charset=utf-8");
        assertThat(anonymous("/console/console.css").headers().firstValue("content-type"))
                .hasValue("text/css; charset=utf-8");
        assertThat(anonymous("/console/favicon.svg").headers().firstValue("content-type"))
                .hasValue("image/svg+xml");
        var uplot = anonymous("/console/vendor/uplot/uPlot.esm.js");
        assertThat(uplot.statusCode()).isEqualTo(200);
        assertThat(TestHost.text(uplot)).contains("export { uPlot as default }");

        // A bad key does not matter to static files, which hold no data...
        var withBadKey =
                kiln.send(
                        kiln.request("/console/js/api.js")
                                .header("Authorization", "Bearer nope")
                                .build());
        assertThat(withBadKey.statusCode()).isEqualTo(200);
        // ...while the API stays guarded.
        assertThat(TestHost.errorCode(anonymous("/api/v1/services"))).isEqualTo("unauthorized");
        assertThat(TestHost.errorCode(anonymous("/metrics"))).isEqualTo("unauthorized");
    }

    @Test
    void everyFileTheConsoleHasIsServedWithAKnownType() throws IOException {
        Path root = Path.of("src/main/resources/dev/kiln/host/console");
        List<Path> served;
        try (Stream<Path> all = Files.walk(root)) {
            served =
                    all.filter(Files::isRegularFile)
                            .filter(p -> !p.getFileName().toString().equals("LICENSE"))
                            .toList();
        }
        assertThat(served).hasSizeGreaterThan(10);
        for (Path p : served) {
            String name = root.relativize(p).toString().replace('\\', '/');
            var r = anonymous("/console/" + name);
            assertThat(r.statusCode()).as(name).isEqualTo(200);
            assertThat(r.body()).as(name).isEqualTo(Files.readAllBytes(p));
        }
        // The licence stays beside the library in the jar, but only known types are served.
        assertThat(TestHost.errorCode(anonymous("/console/vendor/uplot/LICENSE")))
                .isEqualTo("not_found");
    }

    @Test
    void anUnchangedFileIsAnswered304ByItsEntityTag() {
        var first = anonymous("/console/js/app.js");
        String etag = first.headers().firstValue("etag").orElseThrow();
        var again =
                kiln.send(kiln.request("/console/js/app.js").header("If-None-Match", etag).build());
        assertThat(again.statusCode()).isEqualTo(304);
        assertThat(again.body()).isEmpty();
        var other =
                kiln.send(
                        kiln.request("/console/js/app.js")
                                .header("If-None-Match", "\"x\"")
                                .build());
        assertThat(other.statusCode()).isEqualTo(200);
    }

    @Test
    void theRootAndTheBareConsolePathRedirectToTheConsole() {
        var root = anonymous("/");
        assertThat(root.statusCode()).isEqualTo(302);
        assertThat(root.headers().firstValue("location")).hasValue("/console/");
        var bare = anonymous("/console");
        assertThat(bare.statusCode()).isEqualTo(301);
        assertThat(bare.headers().firstValue("location")).hasValue("/console/");
        // Other unknown paths stay 404.
        assertThat(TestHost.errorCode(anonymous("/consoles"))).isEqualTo("not_found");
        assertThat(TestHost.errorCode(anonymous("/console/no-such.js"))).isEqualTo("not_found");
    }

    @Test
    void onlyGetAndHeadReadTheConsole() {
        var post =
                kiln.send(
                        kiln.request("/console/index.html")
                                .POST(HttpRequest.BodyPublishers.ofString("x"))
                                .build());
        assertThat(TestHost.errorCode(post)).isEqualTo("method_not_allowed");
        var head =
                kiln.send(
                        kiln.request("/console/index.html")
                                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                                .build());
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
    }

    /** Hostile input: every way of stepping out of the folder is refused before any lookup. */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "/console/../api/v1/services",
                "/console/js/../../kiln.db",
                "/console/%2e%2e/kiln.db",
                "/console/%2E%2E/%2E%2E/etc/passwd",
                "/console/js/..%2fapi.js",
                "/console/js%2fapp.js",
                "/console/js%5capp.js",
                "/console/..%5c..%5cadmin-token",
                "/console/.hidden",
                "/console/./index.html",
                "/console//index.html",
                "/console/js/app.js%00.png",
                "/console/%63onsole.css",
            })
    void pathsThatCouldLeaveTheConsoleFolderAreRefused(String path) throws IOException {
        RawExchange.Reply reply = raw(path);
        assertThat(reply.status()).as(path).isEqualTo(400);
        assertThat(reply.text()).as(path).contains("\"code\":\"bad_request\"");
        assertThat(reply.text()).as(path).contains("console paths are plain names");
        // The host serves on.
        assertThat(anonymous("/console/").statusCode()).isEqualTo(200);
    }

    @Test
    void aRawBackslashIsRefusedByTheRequestParserAndTheHostServesOn() throws IOException {
        // Undertow refuses characters that must be escaped in a request target before Kiln's
        // handlers see the request: a bare 400, no lookup.
        RawExchange.Reply reply = raw("/console/js\\app.js");
        assertThat(reply.status()).isEqualTo(400);
        assertThat(reply.text()).doesNotContain("import ");
        assertThat(anonymous("/console/js/app.js").statusCode()).isEqualTo(200);
    }

    private static RawExchange.Reply raw(String target) throws IOException {
        try (var x = new RawExchange(kiln.host().port())) {
            return x.send(
                            "GET "
                                    + target
                                    + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    .readUntilClosed(5_000);
        }
    }
}
