package dev.kiln.host.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which connections stay open, and what the responses say about it: HTTP/1.1 ones persist without a
 * {@code Connection} header (Undertow's {@code ALWAYS_SET_KEEP_ALIVE} is off), HTTP/1.0 ones only
 * when the client asked and the response says {@code keep-alive}.
 */
class KeepAliveTest {
    static final String TRIGGER = "POST /fn/s/echo/ %s\r\nHost: x\r\n%sContent-Length: 2\r\n\r\nhi";
    static final String INVOKE =
            "POST /api/v1/services/s/functions/echo/invoke %s\r\nHost: x\r\n"
                    + "Authorization: Bearer "
                    + TestHost.TOKEN
                    + "\r\n%sContent-Length: 2\r\n\r\nhi";

    @Test
    void http11ResponsesSayNothingAndTheConnectionServesAgain(@TempDir Path data) throws Exception {
        try (TestHost kiln = TestHost.start(data)) {
            kiln.deploy("s", "echo", Wat.fixture("echo"));
            for (String request : new String[] {TRIGGER, INVOKE}) {
                try (RawExchange c = new RawExchange(kiln.host().port())) {
                    for (int i = 0; i < 3; i++) {
                        RawExchange.Reply r =
                                c.send(request.formatted("HTTP/1.1", "")).readResponse(10_000);
                        assertThat(r.closed()).as(r.text()).isFalse();
                        assertThat(r.status()).as(r.text()).isEqualTo(200);
                        assertThat(r.text()).endsWith("\r\n\r\nhi");
                        assertThat(connectionHeader(r.text())).as(r.text()).isNull();
                    }
                }
            }
        }
    }

    @Test
    void http10ConnectionsPersistOnlyWhenAskedAndSaySo(@TempDir Path data) throws Exception {
        try (TestHost kiln = TestHost.start(data)) {
            kiln.deploy("s", "echo", Wat.fixture("echo"));
            for (String request : new String[] {TRIGGER, INVOKE}) {
                try (RawExchange c = new RawExchange(kiln.host().port())) {
                    for (int i = 0; i < 3; i++) {
                        RawExchange.Reply r =
                                c.send(request.formatted("HTTP/1.0", "Connection: keep-alive\r\n"))
                                        .readResponse(10_000);
                        assertThat(r.text()).startsWith("HTTP/1.0 200 ").endsWith("\r\n\r\nhi");
                        assertThat(connectionHeader(r.text())).as(r.text()).isEqualTo("keep-alive");
                    }
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
