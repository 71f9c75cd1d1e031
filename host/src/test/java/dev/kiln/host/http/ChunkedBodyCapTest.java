package dev.kiln.host.http;

import static dev.kiln.host.testing.TestHost.errorCode;
import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A body sent chunked (no Content-Length) is held to the same caps as one with a length: the host
 * must count while it reads, not trust a header.
 */
class ChunkedBodyCapTest {
    static final int CAP = 10_000;

    static HttpRequest.BodyPublisher chunked(int bytes) {
        byte[] body = new byte[bytes];
        return HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body));
    }

    @Test
    void payloadsOverTheCapAreRefusedOnEveryPath(@TempDir Path data) {
        try (TestHost kiln =
                TestHost.start(data, b -> b.maxPayloadBytes(CAP).maxUploadBytes(4 * CAP))) {
            kiln.deploy("s", "echo", Wat.fixture("echo"));
            var atCap =
                    kiln.send(
                            kiln.admin("/api/v1/services/s/functions/echo/invoke")
                                    .POST(chunked(CAP))
                                    .build());
            assertThat(atCap.statusCode()).isEqualTo(200);
            assertThat(atCap.body()).hasSize(CAP);

            var invoke =
                    kiln.send(
                            kiln.admin("/api/v1/services/s/functions/echo/invoke")
                                    .POST(chunked(CAP + 1))
                                    .build());
            assertThat(invoke.statusCode()).isEqualTo(413);
            assertThat(errorCode(invoke)).isEqualTo("payload_too_large");

            var upload =
                    kiln.send(
                            kiln.admin("/api/v1/services/s/functions/big")
                                    .header("Content-Type", "application/wasm")
                                    .PUT(chunked(4 * CAP + 1))
                                    .build());
            assertThat(upload.statusCode()).isEqualTo(413);
            assertThat(errorCode(upload)).isEqualTo("payload_too_large");

            var trigger = kiln.send(kiln.request("/fn/s/echo/").POST(chunked(3 * CAP)).build());
            assertThat(trigger.statusCode()).isEqualTo(413);
            assertThat(errorCode(trigger)).isEqualTo("payload_too_large");

            assertThat(text(kiln.invoke("s", "echo", "still here"))).isEqualTo("still here");
        }
    }
}
