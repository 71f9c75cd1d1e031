package dev.kiln.abi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The ABI side of {@code http_*} (ABI.md 4.13): argument checks made before any request. */
class OutboundCallsTest {
    private static byte[] block(String... nameValues) {
        StringBuilder b = new StringBuilder();
        for (String s : nameValues) {
            b.append(s).append('\0');
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void guestHeadersAreCheckedAndLowerCased() {
        assertThat(OutboundCalls.headers(block("X-Trace", "a b", "Accept", "*/*")))
                .containsExactly(new Header("x-trace", "a b"), new Header("accept", "*/*"));
        assertThat(OutboundCalls.headers(new byte[0])).isEmpty();
    }

    @Test
    void reservedMalformedAndTooManyHeadersAreRefused() {
        for (String reserved :
                List.of(
                        "Host",
                        "content-length",
                        "Transfer-Encoding",
                        "connection",
                        "Proxy-Authorization",
                        "TE",
                        "expect")) {
            assertThat(OutboundCalls.headers(block(reserved, "x"))).as(reserved).isNull();
        }
        assertThat(OutboundCalls.headers(block("bad name", "x"))).isNull();
        assertThat(OutboundCalls.headers(block("x-a", "line\r\nInjected: 1"))).isNull();
        assertThat(OutboundCalls.headers("x-a\0no-end".getBytes(StandardCharsets.UTF_8))).isNull();
        String[] many = new String[2 * (OutboundLimits.MAX_REQUEST_HEADERS + 1)];
        for (int i = 0; i < many.length; i += 2) {
            many[i] = "x-" + i;
            many[i + 1] = "v";
        }
        assertThat(OutboundCalls.headers(block(many))).isNull();
    }

    @Test
    void outsideAnInvocationTheCallsAreUnavailable() {
        HostCalls host = new HostCalls();
        RecordingMemory memory = new RecordingMemory(1024);
        long url = memory.put("http://example.com/");
        long method = memory.put("GET");
        assertThat(
                        host.call(
                                HostCall.HTTP_SEND,
                                memory,
                                new long[] {
                                    method,
                                    3,
                                    url,
                                    RecordingMemory.len("http://example.com/"),
                                    0,
                                    0,
                                    0,
                                    0
                                }))
                .isEqualTo(AbiV1.ERR_UNAVAILABLE);
        assertThat(host.call(HostCall.HTTP_RESPONSE_STATUS, memory, new long[] {0}))
                .isEqualTo(AbiV1.ERR_UNAVAILABLE);
    }

    @Test
    void withoutOutboundAccessEverySendIsDeniedAndLogged() {
        HostCalls host = new HostCalls();
        GuestEffects effects = host.begin(HostCallsTest.httpContext(), EffectLimits.DEFAULTS);
        RecordingMemory memory = new RecordingMemory(1024);
        String u = "http://example.com/";
        long url = memory.put(u);
        long method = memory.put("GET");
        long rc =
                host.call(
                        HostCall.HTTP_SEND,
                        memory,
                        new long[] {method, 3, url, RecordingMemory.len(u), 0, 0, 0, 0});
        assertThat(rc).isEqualTo(AbiV1.ERR_DENIED);
        assertThat(effects.logs())
                .singleElement()
                .satisfies(l -> assertThat(l.message()).contains("denied"));
        assertThat(host.call(HostCall.HTTP_RESPONSE_STATUS, memory, new long[] {0}))
                .isEqualTo(AbiV1.ERR_NOT_FOUND);
        assertThatThrownBy(
                        () ->
                                host.call(
                                        HostCall.HTTP_RESPONSE_BODY,
                                        memory,
                                        new long[] {0, 1000, 100}))
                .isInstanceOf(AbiViolationException.class);
    }
}
