package dev.kiln.host.observability;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** W3C traceparent parsing (docs/adr/0047): what is taken, what is ignored. */
class TraceContextTest {
    private static final String T = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String P = "00f067aa0ba902b7";

    @Test
    void aWellFormedHeaderIsTakenWithItsSampledFlagAndState() {
        var c = TraceContext.parse("00-" + T + "-" + P + "-01", "a=1,b=2");
        assertThat(c).isEqualTo(new TraceContext(T, P, true, "a=1,b=2"));
        assertThat(c.traceparent()).isEqualTo("00-" + T + "-" + P + "-01");
        assertThat(TraceContext.parse("00-" + T + "-" + P + "-00", null).sampled()).isFalse();
    }

    @Test
    void aLaterVersionIsReadAsFarAsVersion00Goes() {
        var c = TraceContext.parse("01-" + T + "-" + P + "-01-what-comes-next", null);
        assertThat(c).isEqualTo(new TraceContext(T, P, true, null));
        assertThat(TraceContext.parse("01-" + T + "-" + P + "-01x", null)).isNull();
    }

    @Test
    void malformedHeadersAreIgnored() {
        for (String bad :
                new String[] {
                    "",
                    "00",
                    "00-" + T + "-" + P,
                    "00-" + T + "-" + P + "-01-",
                    "ff-" + T + "-" + P + "-01",
                    "0g-" + T + "-" + P + "-01",
                    "00-" + T.toUpperCase(java.util.Locale.ROOT) + "-" + P + "-01",
                    "00-" + "0".repeat(32) + "-" + P + "-01",
                    "00-" + T + "-" + "0".repeat(16) + "-01",
                    "00_" + T + "-" + P + "-01",
                    "00-" + T + "-" + P + "-zz"
                }) {
            assertThat(TraceContext.parse(bad, "a=1")).as(bad).isNull();
        }
        assertThat(TraceContext.parse(null, "a=1")).isNull();
    }

    @Test
    void anOversizedOrControlCharacterStateIsDroppedButTheTraceKept() {
        String header = "00-" + T + "-" + P + "-01";
        assertThat(TraceContext.parse(header, "a=" + "x".repeat(600)).traceState()).isNull();
        assertThat(TraceContext.parse(header, "a=1\u0000").traceState()).isNull();
        assertThat(TraceContext.parse(header, "a=1\u00e9").traceState()).isNull();
        assertThat(TraceContext.parse(header, "a=1").traceState()).isEqualTo("a=1");
    }
}
