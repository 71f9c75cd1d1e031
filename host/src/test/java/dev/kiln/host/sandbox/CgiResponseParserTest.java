package dev.kiln.host.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.abi.EffectLimits;
import dev.kiln.abi.Header;
import dev.kiln.host.core.InvocationOutcome;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CgiResponseParserTest {
    private static InvocationOutcome parse(String out) {
        return CgiResponseParser.parse(out.getBytes(StandardCharsets.UTF_8), EffectLimits.DEFAULTS);
    }

    private static InvocationOutcome.Ok ok(String out) {
        InvocationOutcome o = parse(out);
        assertThat(o).isInstanceOf(InvocationOutcome.Ok.class);
        return (InvocationOutcome.Ok) o;
    }

    private static String body(InvocationOutcome.Ok ok) {
        return new String(ok.body(), StandardCharsets.UTF_8);
    }

    @Test
    void headersStatusAndBody() {
        var ok =
                ok(
                        "Status: 404 Not Found\r\n"
                                + "Content-Type: text/html\r\n"
                                + "X-A:  spaced  \r\n\r\n"
                                + "<p>x");
        assertThat(ok.status()).isEqualTo(404);
        assertThat(ok.headers())
                .containsExactly(
                        new Header("content-type", "text/html"), new Header("x-a", "spaced"));
        assertThat(body(ok)).isEqualTo("<p>x");
    }

    @Test
    void repeatedHeadersStayInOrder() {
        var ok = ok("Set-Cookie: a=1\nSet-Cookie: b=2\n\n");
        assertThat(ok.headers())
                .containsExactly(new Header("set-cookie", "a=1"), new Header("set-cookie", "b=2"));
        assertThat(ok.body()).isEmpty();
    }

    @Test
    void withoutAHeaderBlockTheWholeOutputIsA200Body() {
        for (String plain :
                new String[] {
                    "",
                    "Hello, world!\n",
                    "{\"a\":1}",
                    "Note: no blank line follows\n",
                    "Note: ok\nnot a header\n\nbody",
                    "\nstarts with a blank line"
                }) {
            var ok = ok(plain);
            assertThat(ok.status()).isEqualTo(200);
            assertThat(ok.headers()).isEmpty();
            assertThat(body(ok)).isEqualTo(plain);
        }
    }

    @Test
    void aLocationWithoutStatusRedirects() {
        var ok = ok("Location: /elsewhere\n\n");
        assertThat(ok.status()).isEqualTo(302);
        assertThat(ok.headers()).containsExactly(new Header("location", "/elsewhere"));
    }

    @Test
    void framingAndKilnHeadersAreDropped() {
        var ok =
                ok(
                        "Content-Length: 999\n"
                                + "Transfer-Encoding: chunked\n"
                                + "X-Kiln-Fuel: 0\n"
                                + "X-B: 1\n\n"
                                + "body");
        assertThat(ok.headers()).containsExactly(new Header("x-b", "1"));
        assertThat(body(ok)).isEqualTo("body");
    }

    @Test
    void aBadStatusIsAnAbiViolation() {
        for (String status : new String[] {"abc", "99", "600", "1000", "200OK", "103 Early"}) {
            assertThat(parse("Status: " + status + "\n\nx"))
                    .as(status)
                    .isInstanceOf(InvocationOutcome.AbiViolation.class);
        }
    }

    @Test
    void tooManyOrTooLongFieldsAreAnAbiViolation() {
        String many = "X-A: 1\n".repeat(EffectLimits.DEFAULTS.maxResponseHeaders() + 1) + "\n";
        assertThat(parse(many)).isInstanceOf(InvocationOutcome.AbiViolation.class);
        String exactly = "X-A: 1\n".repeat(EffectLimits.DEFAULTS.maxResponseHeaders()) + "\n";
        assertThat(parse(exactly)).isInstanceOf(InvocationOutcome.Ok.class);
        String longLine = "X-A: " + "v".repeat(EffectLimits.DEFAULTS.maxHeaderBytes()) + "\n\n";
        assertThat(parse(longLine)).isInstanceOf(InvocationOutcome.AbiViolation.class);
    }

    @Test
    void pathInfoIsDecodedOnlyWhenThatIsSafe() {
        assertThat(CgiEnvironment.decodePath("/a%20b/%C3%A9")).isEqualTo("/a b/é");
        assertThat(CgiEnvironment.decodePath("/plain")).isEqualTo("/plain");
        assertThat(CgiEnvironment.decodePath("/nul%00")).isEqualTo("/nul%00");
        assertThat(CgiEnvironment.decodePath("/bad%ff")).isEqualTo("/bad%ff");
        assertThat(CgiEnvironment.decodePath("/cut%2")).isEqualTo("/cut%2");
    }
}
