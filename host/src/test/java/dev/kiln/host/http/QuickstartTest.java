package dev.kiln.host.http;

import static dev.kiln.host.testing.TestHost.json;
import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's quickstart, step by step, with the example module it ships. */
class QuickstartTest {
    static final Path EXAMPLES = Path.of("..", "guest-sdks", "examples", "wat");

    @Test
    void everyShippedExampleIsBuiltFromItsSource() throws IOException {
        List<Path> sources;
        try (var files = Files.list(EXAMPLES)) {
            sources = files.filter(p -> p.toString().endsWith(".wat")).toList();
        }
        assertThat(sources).isNotEmpty();
        for (Path wat : sources) {
            Path wasm = Path.of(wat.toString().replaceAll("\\.wat$", ".wasm"));
            assertThat(Files.readAllBytes(wasm))
                    .as("%s is stale: rebuild it from %s", wasm, wat)
                    .isEqualTo(Wat.compile(Files.readString(wat, StandardCharsets.UTF_8)));
        }
    }

    @Test
    void quickstart(@TempDir Path data) throws IOException {
        try (TestHost kiln = TestHost.start(data)) {
            byte[] hello = Files.readAllBytes(EXAMPLES.resolve("hello.wasm"));
            assertThat(kiln.deploy("demo", "hello", hello).statusCode()).isEqualTo(201);

            var invoked = kiln.invoke("demo", "hello", "Kiln");
            assertThat(text(invoked)).isEqualTo("Hello, Kiln!");
            assertThat(text(kiln.invoke("demo", "hello", ""))).isEqualTo("Hello, world!");

            var http = kiln.send(kiln.request("/fn/demo/hello/anything?x=1").GET().build());
            assertThat(http.statusCode()).isEqualTo(200);
            assertThat(text(http)).isEqualTo("Hello, world!");
            assertThat(http.headers().firstValue("content-type"))
                    .hasValue("text/plain; charset=utf-8");
            assertThat(http.headers().firstValue("x-method")).hasValue("GET");
            var put =
                    kiln.send(
                            kiln.request("/fn/demo/hello/")
                                    .PUT(HttpRequest.BodyPublishers.ofString("PUT body"))
                                    .build());
            assertThat(text(put)).isEqualTo("Hello, PUT body!");

            kiln.host().flushRecords();
            var logs = json(kiln.get("/api/v1/services/demo/functions/hello/logs"));
            assertThat(logs.path("logs").findValuesAsText("message"))
                    .contains("hello invoked via invoke", "hello invoked via http");
            var records = json(kiln.get("/api/v1/services/demo/functions/hello/invocations"));
            assertThat(records.path("invocations")).hasSize(4);
        }
    }
}
