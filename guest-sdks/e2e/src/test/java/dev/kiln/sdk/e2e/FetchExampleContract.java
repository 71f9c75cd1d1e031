package dev.kiln.sdk.e2e;

import static dev.kiln.sdk.e2e.KilnUnderTest.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The fetch example of the SDKs that have one (outbound HTTP, ABI.md 4.13): it gets JSON from a
 * server on loopback that its allowedOutboundHosts names and answers the document's top-level keys;
 * without the entry the request is denied and the answer is the SDK's typed error.
 */
interface FetchExampleContract {
    KilnUnderTest kiln();

    String service();

    Path module(String name);

    /** Uploads example {@code name}; an SDK whose start needs other settings overrides it. */
    default HttpResponse<byte[]> deployExample(String name) {
        return kiln().deploy(service(), name, SdkBuild.read(module(name)));
    }

    @Test
    default void fetchGetsJsonFromAnAllowedServerAndTransformsIt() throws Exception {
        HttpServer origin =
                HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
        origin.createContext(
                "/doc",
                x -> {
                    byte[] body =
                            "{\"name\":\"kiln\",\"stars\":5,\"tags\":[]}"
                                    .getBytes(StandardCharsets.UTF_8);
                    x.getResponseHeaders().add("content-type", "application/json");
                    x.sendResponseHeaders(200, body.length);
                    x.getResponseBody().write(body);
                    x.close();
                });
        origin.start();
        try {
            String base = "http://127.0.0.1:" + origin.getAddress().getPort();
            var d = deployExample("fetch");
            assertThat(d.statusCode()).as(text(d)).isEqualTo(201);

            var denied = kiln().invoke(service(), "fetch", base + "/doc");
            assertThat(denied.statusCode()).isEqualTo(500);
            // The SDK's typed error: "denied by allowedOutboundHosts (-6)", Python's "denied (-6)".
            assertThat(text(denied)).contains("denied").contains("(-6)");

            var p =
                    kiln().patch(
                                    service(),
                                    "fetch",
                                    "{\"allowedOutboundHosts\":[\"" + base + "\"]}");
            assertThat(p.statusCode()).as(text(p)).isEqualTo(200);
            var r = kiln().invoke(service(), "fetch", base + "/doc");
            assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
            assertThat(text(r))
                    .isEqualTo(
                            "{\"source\":\""
                                    + base
                                    + "/doc\",\"status\":200,\"keys\":[\"name\",\"stars\",\"tags\"]}");
        } finally {
            origin.stop(0);
        }
    }
}
