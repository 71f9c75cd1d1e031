package dev.kiln.abi;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Happy paths of every host call and the buffer convention. */
class HostCallsTest {
    static final long DEADLINE = 1_700_000_000_123L;

    static final HttpRequestMeta HTTP =
            new HttpRequestMeta(
                    "POST",
                    "/orders/42",
                    "a=1&b=%20",
                    List.of(
                            new Header("accept", "text/html"),
                            new Header("x-multi", "first"),
                            new Header("content-type", "application/json"),
                            new Header("x-multi", "second")));

    static InvocationContext httpContext() {
        return new InvocationContext(
                "req-1",
                "shop",
                "checkout",
                "v7",
                "http",
                DEADLINE,
                HTTP,
                Map.of("DB_URL", "postgres://db/shop", "EMPTY", ""));
    }

    private final HostCalls host = new HostCalls();
    private final RecordingMemory memory = new RecordingMemory(64 * 1024);
    private GuestEffects effects;

    @BeforeEach
    void begin() {
        effects = host.begin(httpContext(), EffectLimits.DEFAULTS);
    }

    private long call(HostCall call, long... args) {
        return host.call(call, memory, args);
    }

    /** Calls a buffer-returning host call with a 256-byte buffer; returns the written string. */
    private String fetchString(HostCall call, long... leadingArgs) {
        long buf = memory.alloc(256, (byte) 0);
        long[] args = new long[leadingArgs.length + 2];
        System.arraycopy(leadingArgs, 0, args, 0, leadingArgs.length);
        args[leadingArgs.length] = buf;
        args[leadingArgs.length + 1] = 256;
        long n = host.call(call, memory, args);
        assertThat(n).as("%s returned a length", call).isBetween(0L, 256L);
        return memory.stringAt(buf, (int) n);
    }

    @ParameterizedTest
    @CsvSource({"0, req-1", "1, shop", "2, checkout", "3, v7", "4, http"})
    void contextGetReturnsEachField(long field, String expected) {
        assertThat(fetchString(HostCall.CONTEXT_GET, field)).isEqualTo(expected);
    }

    @Test
    void deadlineMsReturnsContextDeadline() {
        assertThat(call(HostCall.DEADLINE_MS)).isEqualTo(DEADLINE);
    }

    @ParameterizedTest
    @CsvSource({"0, POST", "1, /orders/42", "2, a=1&b=%20"})
    void requestGetReturnsEachField(long field, String expected) {
        assertThat(fetchString(HostCall.REQUEST_GET, field)).isEqualTo(expected);
    }

    @Test
    void requestHeaderFindsRepeatedHeadersByIndexCaseInsensitively() {
        long name = memory.put("X-Multi");
        long len = RecordingMemory.len("X-Multi");
        assertThat(fetchString(HostCall.REQUEST_HEADER, name, len, 0)).isEqualTo("first");
        assertThat(fetchString(HostCall.REQUEST_HEADER, name, len, 1)).isEqualTo("second");
        long buf = memory.alloc(16, (byte) 0);
        assertThat(call(HostCall.REQUEST_HEADER, name, len, 2, buf, 16))
                .isEqualTo(AbiV1.ERR_NOT_FOUND);
    }

    @Test
    void requestHeaderMissingNameIsNotFound() {
        long name = memory.put("x-absent");
        long buf = memory.alloc(16, (byte) 0);
        assertThat(call(HostCall.REQUEST_HEADER, name, RecordingMemory.len("x-absent"), 0, buf, 16))
                .isEqualTo(AbiV1.ERR_NOT_FOUND);
    }

    @Test
    void requestHeadersReturnsHeaderCodecEncoding() {
        byte[] expected = HeaderCodec.encode(HTTP.headers());
        long buf = memory.alloc(512, (byte) 0);
        long n = call(HostCall.REQUEST_HEADERS, buf, 512);
        assertThat(n).isEqualTo(expected.length);
        assertThat(memory.bytesAt(buf, expected.length)).isEqualTo(expected);
        assertThat(HeaderCodec.decode(memory.bytesAt(buf, (int) n))).isEqualTo(HTTP.headers());
    }

    @Test
    void responseSetStatusRecordsStatus() {
        assertThat(effects.status()).isEqualTo(200);
        assertThat(call(HostCall.RESPONSE_SET_STATUS, 404)).isEqualTo(AbiV1.OK);
        assertThat(effects.status()).isEqualTo(404);
    }

    private long header(HostCall call, String name, String value) {
        return call(
                call,
                memory.put(name),
                RecordingMemory.len(name),
                memory.put(value),
                RecordingMemory.len(value));
    }

    @Test
    void responseHeaderSetReplacesAndAddAppends() {
        assertThat(header(HostCall.RESPONSE_HEADER_ADD, "Set-Cookie", "a=1")).isZero();
        assertThat(header(HostCall.RESPONSE_HEADER_ADD, "set-cookie", "b=2")).isZero();
        assertThat(header(HostCall.RESPONSE_HEADER_ADD, "X-Other", "o")).isZero();
        assertThat(effects.responseHeaders())
                .containsExactly(
                        new Header("set-cookie", "a=1"),
                        new Header("set-cookie", "b=2"),
                        new Header("x-other", "o"));

        assertThat(header(HostCall.RESPONSE_HEADER_SET, "SET-COOKIE", "c=3")).isZero();
        assertThat(effects.responseHeaders())
                .containsExactly(new Header("x-other", "o"), new Header("set-cookie", "c=3"));
    }

    @Test
    void logRecordsLevelAndMessage() {
        String msg = "hello, wörld";
        assertThat(call(HostCall.LOG, 2, memory.put(msg), RecordingMemory.len(msg)))
                .isEqualTo(AbiV1.OK);
        assertThat(call(HostCall.LOG, 0, memory.put("dbg"), 3)).isEqualTo(AbiV1.OK);
        assertThat(effects.logs())
                .extracting(GuestLogLine::level, GuestLogLine::message)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(LogLevel.WARN, msg),
                        org.assertj.core.groups.Tuple.tuple(LogLevel.DEBUG, "dbg"));
        assertThat(effects.logTruncated()).isFalse();
    }

    @Test
    void configGetReturnsValueIncludingEmpty() {
        long key = memory.put("DB_URL");
        assertThat(fetchString(HostCall.CONFIG_GET, key, 6)).isEqualTo("postgres://db/shop");
        long empty = memory.put("EMPTY");
        assertThat(call(HostCall.CONFIG_GET, empty, 5, memory.alloc(4, (byte) 0), 4)).isZero();
    }

    @Test
    void clockUnixNsIsCloseToNow() {
        long before = System.currentTimeMillis();
        long ns = call(HostCall.CLOCK_UNIX_NS);
        long after = System.currentTimeMillis();
        assertThat(ns / 1_000_000).isBetween(before - 1, after + 1);
    }

    @Test
    void clockMonotonicNsIncreases() throws InterruptedException {
        long first = call(HostCall.CLOCK_MONOTONIC_NS);
        Thread.sleep(2);
        long second = call(HostCall.CLOCK_MONOTONIC_NS);
        assertThat(second).isGreaterThan(first);
    }

    @Test
    void randomFillWritesBytes() {
        // 64 zero bytes staying all-zero after a fill has probability 2^-512.
        long buf = memory.alloc(64, (byte) 0);
        long guard = memory.alloc(8, (byte) 0x5A);
        assertThat(call(HostCall.RANDOM_FILL, buf, 64)).isEqualTo(AbiV1.OK);
        assertThat(memory.bytesAt(buf, 64)).isNotEqualTo(new byte[64]);
        assertThat(memory.bytesAt(guard, 8)).containsOnly((byte) 0x5A);
    }

    @Test
    void failRecordsFailure() {
        assertThat(effects.failure()).isNull();
        String msg = "order not found";
        assertThat(call(HostCall.FAIL, memory.put(msg), RecordingMemory.len(msg)))
                .isEqualTo(AbiV1.OK);
        assertThat(effects.failure()).isEqualTo(msg);
    }

    @Test
    void hostCallsAreCounted() {
        call(HostCall.CLOCK_UNIX_NS);
        call(HostCall.DEADLINE_MS);
        assertThat(effects.hostCalls()).isEqualTo(2);
    }

    // --- buffer convention -------------------------------------------------------------------

    @Test
    void valueLongerThanCapReturnsFullLengthAndWritesNothing() {
        long buf = memory.alloc(8, (byte) 0x77);
        long n = call(HostCall.CONTEXT_GET, 2, buf, 4); // "checkout" is 8 bytes
        assertThat(n).isEqualTo(8);
        assertThat(memory.bytesAt(buf, 8)).containsOnly((byte) 0x77);
    }

    @Test
    void valueThatExactlyFitsIsWritten() {
        long buf = memory.alloc(9, (byte) 0x77);
        long n = call(HostCall.CONTEXT_GET, 2, buf, 8);
        assertThat(n).isEqualTo(8);
        assertThat(memory.stringAt(buf, 8)).isEqualTo("checkout");
        assertThat(memory.bytesAt(buf + 8, 1)).containsOnly((byte) 0x77);
    }

    @Test
    void capZeroReturnsLengthSoTheGuestCanAllocate() {
        long buf = memory.alloc(4, (byte) 0x77);
        assertThat(call(HostCall.REQUEST_GET, 1, buf, 0)).isEqualTo(10); // "/orders/42"
        assertThat(call(HostCall.CONTEXT_GET, 0, 0, 0)).isEqualTo(5); // ptr 0 is fine with cap 0
        assertThat(memory.bytesAt(buf, 4)).containsOnly((byte) 0x77);
    }

    @Test
    void multiByteValueLengthIsInUtf8Bytes() {
        InvocationContext ctx =
                new InvocationContext("ré-ü", "s", "f", "v", "invoke", 0, null, Map.of());
        host.begin(ctx, EffectLimits.DEFAULTS);
        long buf = memory.alloc(16, (byte) 0);
        long n = call(HostCall.CONTEXT_GET, 0, buf, 16);
        assertThat(n).isEqualTo("ré-ü".getBytes(StandardCharsets.UTF_8).length).isEqualTo(6);
        assertThat(memory.stringAt(buf, 6)).isEqualTo("ré-ü");
    }
}
