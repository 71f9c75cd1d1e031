package dev.kiln.host.http;

import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Request framing (RFC 9112 §6): only {@code Transfer-Encoding: chunked}, exactly, frames a body
 * besides {@code Content-Length}; anything else is 400 and the connection closes. Kiln answers most
 * with {@code bad_request}; a repeated header and both framings at once are refused by Undertow's
 * parser before Kiln sees the request (a 400 without a body).
 */
class RequestFramingTest {
    static final String BODY = "5\r\nhello\r\n0\r\n\r\n";

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "Transfer-Encoding: gzip, chunked|bad_request",
                "Transfer-Encoding: chunked, chunked|bad_request",
                "Transfer-Encoding: identity|bad_request",
                "Transfer-Encoding: gzip|bad_request",
                "Transfer-Encoding:  CHUNKED , x|bad_request",
                "Transfer-Encoding: chunked~Transfer-Encoding: chunked|",
                "Transfer-Encoding: chunked~Content-Length: 15|",
            })
    void transferCodingsOtherThanExactlyChunkedAre400(
            String headers, String code, @TempDir Path data) throws Exception {
        // "~" separates header lines.
        String framing = headers.replace("~", "\r\n") + "\r\n";
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
                    assertThat(reply.errorCode()).isEqualTo(code);
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

    /**
     * A chunk size that overflows, is not hex, or a chunk framed wrongly is a 400 {@code
     * bad_request} from Kiln's own chunk decoder (Undertow's closed the connection without an
     * answer); the connection closes after it (the body's end is unknown) and the host serves on.
     * "~" stands for CRLF.
     */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "ffffffffffffffffff~hello~0~~",
                "10000000000000000~hello~0~~",
                "1000000000000000~hello~0~~",
                "zz~hello~0~~",
                "~hello~0~~",
                "5 junk~hello~0~~",
                "5;ext\u0001~hello~0~~",
                "5\nhello~0~~",
                "5~helloXX0~~",
                "5~hello~0~x\u0001y~~",
                "-5~hello~0~~",
                "0x5~hello~0~~",
            })
    void aMalformedChunkedBodyIs400AndTheHostServesOn(String body, @TempDir Path data)
            throws Exception {
        String wire = body.replace("\\n", "\n").replace("~", "\r\n");
        try (TestHost kiln = TestHost.start(data)) {
            kiln.deploy("s", "echo", Wat.fixture("echo"));
            try (var raw = new RawExchange(kiln.host().port())) {
                var reply =
                        raw.send(
                                        "POST /fn/s/echo/ HTTP/1.1\r\nHost: x\r\n"
                                                + "Transfer-Encoding: chunked\r\n\r\n"
                                                + wire)
                                .readUntilClosed(10_000);
                assertThat(reply.status()).as(reply.text()).isEqualTo(400);
                assertThat(reply.errorCode()).isEqualTo("bad_request");
                assertThat(reply.closed()).isTrue();
            }
            assertThat(text(kiln.invoke("s", "echo", "still here"))).isEqualTo("still here");
        }
    }

    /**
     * Kiln's chunk decoder keeps what HTTP allows: extensions, several chunks, trailers, and a
     * request pipelined after the body on the same connection.
     */
    @Test
    void validChunkedFramingIsDecodedAndTheConnectionCarriesTheNextRequest(@TempDir Path data)
            throws Exception {
        try (TestHost kiln = TestHost.start(data)) {
            kiln.deploy("s", "echo", Wat.fixture("echo"));
            try (var raw = new RawExchange(kiln.host().port())) {
                var reply =
                        raw.send(
                                        "POST /fn/s/echo/ HTTP/1.1\r\nHost: x\r\n"
                                                + "Transfer-Encoding: chunked\r\n\r\n"
                                                + "3;name=\"va;l\"\r\nhel\r\n"
                                                + "A \t; x\r\nlo, world!\r\n"
                                                + "0\r\nX-Trailer: t\r\n\r\n"
                                                + "POST /fn/s/echo/ HTTP/1.1\r\nHost: x\r\n"
                                                + "Transfer-Encoding: chunked\r\n"
                                                + "Connection: close\r\n\r\n"
                                                + "6\r\nsecond\r\n0\r\n\r\n")
                                .readUntilClosed(10_000);
                assertThat(reply.status()).as(reply.text()).isEqualTo(200);
                assertThat(reply.text()).contains("\r\n\r\nhello, world!");
                assertThat(reply.text()).endsWith("\r\n\r\nsecond");
            }
        }
    }
}
