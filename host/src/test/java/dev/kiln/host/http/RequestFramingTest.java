package dev.kiln.host.http;

import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Request framing (RFC 9112 §6): only {@code Transfer-Encoding: chunked}, exactly, frames a body
 * besides {@code Content-Length}; anything else is 400 {@code bad_request} and the connection
 * closes. A chunk size that overflows is a 400 too, not a silently closed connection.
 */
class RequestFramingTest {
    static final String BODY = "5\r\nhello\r\n0\r\n\r\n";

    @ParameterizedTest
    @ValueSource(
            strings = {
                "Transfer-Encoding: gzip, chunked\r\n",
                "Transfer-Encoding: chunked, chunked\r\n",
                "Transfer-Encoding: identity\r\n",
                "Transfer-Encoding: gzip\r\n",
                "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
                "Transfer-Encoding: chunked\r\nContent-Length: 15\r\n",
            })
    void transferCodingsOtherThanExactlyChunkedAre400(String framing, @TempDir Path data)
            throws Exception {
        try (TestHost kiln = TestHost.start(data)) {
            kiln.deploy("s", "echo", Wat.fixture("echo"));
            for (String path :
                    new String[] {"/fn/s/echo/", "/api/v1/services/s/functions/echo/invoke"}) {
                try (var raw = new RawExchange(kiln.host().port())) {
                    var reply =
                            raw.send(
                                            "POST "
                                                    + path
                                                    + " HTTP/1.1\r\n"
                                                    + "Host: x\r\n"
                                                    + "Authorization: Bearer "
                                                    + TestHost.TOKEN
                                                    + "\r\n"
                                                    + framing
                                                    + "\r\n"
                                                    + BODY)
                                    .readUntilClosed(10_000);
                    assertThat(reply.status()).as(reply.text()).isEqualTo(400);
                    assertThat(reply.errorCode()).isEqualTo("bad_request");
                    assertThat(reply.closed()).isTrue();
                }
            }
            assertThat(text(kiln.invoke("s", "echo", "still here"))).isEqualTo("still here");
        }
    }

    @Test
    void plainChunkedStillWorks(@TempDir Path data) throws Exception {
        try (TestHost kiln = TestHost.start(data)) {
            kiln.deploy("s", "echo", Wat.fixture("echo"));
            try (var raw = new RawExchange(kiln.host().port())) {
                var reply =
                        raw.send(
                                        "POST /fn/s/echo/ HTTP/1.1\r\nHost: x\r\n"
                                                + "Transfer-Encoding: Chunked\r\n"
                                                + "Connection: close\r\n\r\n"
                                                + BODY)
                                .readUntilClosed(10_000);
                assertThat(reply.status()).as(reply.text()).isEqualTo(200);
                assertThat(reply.text()).endsWith("\r\n\r\nhello");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"ffffffffffffffffff", "10000000000000000", "fffffffffffffff"})
    void anOverflowingChunkSizeIs400(String size, @TempDir Path data) throws Exception {
        try (TestHost kiln = TestHost.start(data)) {
            kiln.deploy("s", "echo", Wat.fixture("echo"));
            try (var raw = new RawExchange(kiln.host().port())) {
                var reply =
                        raw.send(
                                        "POST /fn/s/echo/ HTTP/1.1\r\nHost: x\r\n"
                                                + "Transfer-Encoding: chunked\r\n\r\n"
                                                + size
                                                + "\r\nhello\r\n0\r\n\r\n")
                                .readUntilClosed(10_000);
                assertThat(reply.status()).as(reply.text()).isIn(400, 413);
                assertThat(reply.closed()).isTrue();
            }
            assertThat(text(kiln.invoke("s", "echo", "still here"))).isEqualTo("still here");
        }
    }
}
