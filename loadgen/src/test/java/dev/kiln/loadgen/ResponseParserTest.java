package dev.kiln.loadgen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ResponseParserTest {
    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Feeds in pieces of {@code step} bytes; returns the end index, or -1 if never complete. */
    private static int feedInSteps(ResponseParser p, byte[] b, int step) throws Exception {
        for (int i = 0; i < b.length; i += step) {
            int to = Math.min(b.length, i + step);
            int end = p.feed(b, i, to);
            if (p.done()) {
                return end;
            }
        }
        return -1;
    }

    @Test
    void contentLengthBodyEndsExactlyWhateverTheSplit() throws Exception {
        byte[] r = bytes("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello");
        for (int step = 1; step <= r.length; step++) {
            var p = new ResponseParser();
            p.reset(false);
            assertThat(feedInSteps(p, r, step)).as("step %d", step).isEqualTo(r.length);
            assertThat(p.status()).isEqualTo(200);
            assertThat(p.connectionClose()).isFalse();
        }
    }

    @Test
    void chunkedBodyWithExtensionAndTrailer() throws Exception {
        byte[] r =
                bytes(
                        "HTTP/1.1 201 Created\r\ntransfer-encoding: chunked\r\n\r\n"
                                + "5;x=y\r\nhello\r\nA\r\n0123456789\r\n0\r\nTrailer: v\r\n\r\n");
        for (int step = 1; step <= r.length; step++) {
            var p = new ResponseParser();
            p.reset(false);
            assertThat(feedInSteps(p, r, step)).as("step %d", step).isEqualTo(r.length);
            assertThat(p.status()).isEqualTo(201);
        }
    }

    @Test
    void stopsAtTheEndOfTheFirstResponse() throws Exception {
        byte[] two =
                bytes(
                        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"
                                + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
        var p = new ResponseParser();
        p.reset(false);
        assertThat(p.feed(two, 0, two.length)).isEqualTo(two.length / 2);
    }

    @Test
    void connectionCloseAndHttp10AndUnlengthedBodies() throws Exception {
        var p = new ResponseParser();
        p.reset(false);
        byte[] close = bytes("HTTP/1.1 503 Busy\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
        p.feed(close, 0, close.length);
        assertThat(p.done()).isTrue();
        assertThat(p.connectionClose()).isTrue();
        assertThat(p.status()).isEqualTo(503);

        p.reset(false);
        byte[] http10 = bytes("HTTP/1.0 200 OK\r\n\r\nuntil close");
        p.feed(http10, 0, http10.length);
        assertThat(p.done()).isFalse();
        assertThat(p.endsAtClose()).isTrue();
        p.closed();
        assertThat(p.done()).isTrue();
        assertThat(p.connectionClose()).isTrue();
    }

    @Test
    void headResponsesAnd204HaveNoBody() throws Exception {
        var p = new ResponseParser();
        p.reset(true);
        byte[] head = bytes("HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n");
        assertThat(p.feed(head, 0, head.length)).isEqualTo(head.length);
        assertThat(p.done()).isTrue();
        p.reset(false);
        byte[] noContent = bytes("HTTP/1.1 204 No Content\r\n\r\n");
        p.feed(noContent, 0, noContent.length);
        assertThat(p.done()).isTrue();
    }

    @Test
    void refusesWhatIsNotHttp() {
        var p = new ResponseParser();
        p.reset(false);
        byte[] junk = bytes("SSH-2.0-OpenSSH\r\n\r\n");
        assertThatThrownBy(() -> p.feed(junk, 0, junk.length))
                .isInstanceOf(ResponseParser.ProtocolException.class);
        p.reset(false);
        byte[] badLength = bytes("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n");
        assertThatThrownBy(() -> p.feed(badLength, 0, badLength.length))
                .isInstanceOf(ResponseParser.ProtocolException.class);
        p.reset(false);
        byte[] badChunk = bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
        assertThatThrownBy(() -> p.feed(badChunk, 0, badChunk.length))
                .isInstanceOf(ResponseParser.ProtocolException.class);
    }

    @Test
    void refusesAnEndlessHead() {
        var p = new ResponseParser();
        p.reset(false);
        byte[] line = bytes("HTTP/1.1 200 OK\r\n" + "X: " + "a".repeat(70_000));
        assertThatThrownBy(() -> p.feed(line, 0, line.length))
                .isInstanceOf(ResponseParser.ProtocolException.class)
                .hasMessageContaining("exceeds");
    }
}
