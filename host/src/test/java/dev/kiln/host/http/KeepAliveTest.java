package dev.kiln.host.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which connections stay open, and what the responses say about it: HTTP/1.1 ones persist without a
 * {@code Connection} header (Undertow's {@code ALWAYS_SET_KEEP_ALIVE} is off), HTTP/1.0 ones only
 * when the client asked and the response says {@code keep-alive}.
 */
class KeepAliveTest {
    /** The HTTP trigger and {@code /invoke}; {@code %s}: the protocol, then extra header lines. */
    static final List<String> REQUESTS =
            List.of(
                    "POST /fn/s/echo/ %s\r\nHost: x\r\n%sContent-Length: 2\r\n\r\nhi",
                    "POST /api/v1/services/s/functions/echo/invoke %s\r\nHost: x\r\n"
                            + "Authorization: Bearer "
                            + TestHost.TOKEN
                            + "\r\n%sContent-Length: 2\r\n\r\nhi");

    @TempDir Path data;
    private TestHost kiln;

    @BeforeEach
    void start() {
        kiln = TestHost.start(data);
        kiln.deploy("s", "echo", Wat.fixture("echo"));
    }

    @AfterEach
    void stop() {
        kiln.close();
    }

    @Test
    void http11ResponsesSayNothingAndTheConnectionServesAgain() throws Exception {
        for (String request : REQUESTS) {
            for (RawExchange.Reply r : threeOnOneConnection(request.formatted("HTTP/1.1", ""))) {
                assertThat(r.closed()).as(r.text()).isFalse();
                assertThat(r.status()).as(r.text()).isEqualTo(200);
                assertThat(r.text()).endsWith("\r\n\r\nhi");
                assertThat(connectionHeader(r.text())).as(r.text()).isNull();
            }
        }
    }

    @Test
    void http10ConnectionsPersistOnlyWhenAskedAndSaySo() throws Exception {
        for (String request : REQUESTS) {
            String asked = request.formatted("HTTP/1.0", "Connection: keep-alive\r\n");
            for (RawExchange.Reply r : threeOnOneConnection(asked)) {
                assertThat(r.text()).startsWith("HTTP/1.0 200 ").endsWith("\r\n\r\nhi");
                assertThat(connectionHeader(r.text())).as(r.text()).isEqualTo("keep-alive");
            }
            try (RawExchange c = new RawExchange(kiln.host().port())) {
                RawExchange.Reply r =
                        c.send(request.formatted("HTTP/1.0", "")).readUntilClosed(10_000);
                assertThat(r.closed()).as(r.text()).isTrue();
                assertThat(r.text()).startsWith("HTTP/1.0 200 ").endsWith("\r\n\r\nhi");
                assertThat(connectionHeader(r.text())).as(r.text()).isEqualTo("close");
            }
        }
    }

    /** Sends {@code request} three times, one after the other, on one connection. */
    private List<RawExchange.Reply> threeOnOneConnection(String request) throws IOException {
        List<RawExchange.Reply> replies = new ArrayList<>();
        try (RawExchange c = new RawExchange(kiln.host().port())) {
            for (int i = 0; i < 3; i++) {
                replies.add(c.send(request).readResponse(10_000));
            }
        }
        return replies;
    }

    /** The value of the response's {@code Connection} header, or null without one. */
    private static String connectionHeader(String response) {
        String head = response.substring(0, response.indexOf("\r\n\r\n"));
        for (String line : head.lines().toList()) {
            int colon = line.indexOf(':');
            if (colon > 0
                    && line.substring(0, colon).toLowerCase(Locale.ROOT).equals("connection")) {
                return line.substring(colon + 1).trim();
            }
        }
        return null;
    }
}
