package dev.kiln.abi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Bounds checks, error codes and effect limits of the host calls. */
class HostCallsRulesTest {
    private static final int MEMORY_SIZE = 4096;

    private final HostCalls host = new HostCalls();
    private final RecordingMemory memory = new RecordingMemory(MEMORY_SIZE);
    private GuestEffects effects;

    @BeforeEach
    void begin() {
        effects = host.begin(HostCallsTest.httpContext(), EffectLimits.DEFAULTS);
    }

    private long call(HostCall call, long... args) {
        return host.call(call, memory, args);
    }

    private static EffectLimits limits(
            int logLines, int logBytes, long hostCalls, int responseHeaders) {
        EffectLimits d = EffectLimits.DEFAULTS;
        return new EffectLimits(
                logLines,
                logBytes,
                hostCalls,
                responseHeaders,
                d.maxHeaderBytes(),
                d.maxFailMessageBytes(),
                d.maxRandomBytes());
    }

    // --- out-of-bounds ranges ----------------------------------------------------------------

    /** {ptr, len} pairs that do not fit in a 4096-byte memory. */
    private static final long[][] BAD_RANGES = {
        {MEMORY_SIZE - 4, 5}, // one past the end
        {0xFFFF_FFF0L, 0x20}, // wraps past 2^32 if added as int
        {0, 0xFFFF_FFFFL}, // maximal length
        {-16, 4}, // a sign-extended i32 pointer
    };

    @Test
    void outputBuffersOutsideMemoryAreAbiViolations() {
        for (long[] r : BAD_RANGES) {
            assertThatThrownBy(() -> call(HostCall.CONTEXT_GET, 0, r[0], r[1]))
                    .as("context_get buffer %s", Arrays.toString(r))
                    .isInstanceOf(AbiViolationException.class)
                    .hasMessageContaining("output buffer");
            assertThatThrownBy(() -> call(HostCall.REQUEST_HEADERS, r[0], r[1]))
                    .isInstanceOf(AbiViolationException.class);
            assertThatThrownBy(() -> call(HostCall.RANDOM_FILL, r[0], r[1]))
                    .isInstanceOf(AbiViolationException.class);
        }
        assertThat(memory.readLengths()).isEmpty();
    }

    @Test
    void badBufferIsRejectedEvenWhenValueWouldNotFit() {
        // cap 2 < len("req-1"): nothing would be written, but the range is still invalid.
        assertThatThrownBy(() -> call(HostCall.CONTEXT_GET, 0, MEMORY_SIZE - 1, 2))
                .isInstanceOf(AbiViolationException.class);
        assertThatThrownBy(() -> call(HostCall.REQUEST_GET, 0, 0xFFFF_FFF0L, 3))
                .isInstanceOf(AbiViolationException.class);
    }

    @Test
    void inputRangesOutsideMemoryAreAbiViolations() {
        long ok = memory.put("x-multi");
        long buf = memory.alloc(16, (byte) 0);
        for (long[] r : BAD_RANGES) {
            assertThatThrownBy(() -> call(HostCall.LOG, 1, r[0], r[1]))
                    .isInstanceOf(AbiViolationException.class)
                    .hasMessageContaining("log message");
            assertThatThrownBy(() -> call(HostCall.REQUEST_HEADER, r[0], r[1], 0, buf, 16))
                    .isInstanceOf(AbiViolationException.class)
                    .hasMessageContaining("request_header name");
            assertThatThrownBy(() -> call(HostCall.CONFIG_GET, r[0], r[1], buf, 16))
                    .isInstanceOf(AbiViolationException.class)
                    .hasMessageContaining("config_get key");
            assertThatThrownBy(() -> call(HostCall.RESPONSE_HEADER_SET, r[0], r[1], ok, 1))
                    .isInstanceOf(AbiViolationException.class);
            assertThatThrownBy(() -> call(HostCall.RESPONSE_HEADER_ADD, ok, 1, r[0], r[1]))
                    .isInstanceOf(AbiViolationException.class);
            assertThatThrownBy(() -> call(HostCall.FAIL, r[0], r[1]))
                    .isInstanceOf(AbiViolationException.class);
        }
        assertThat(memory.readLengths()).isEmpty();
        assertThat(effects.logs()).isEmpty();
        assertThat(effects.failure()).isNull();
    }

    @Test
    void outputBufferOfFoundHeaderIsChecked() {
        long name = memory.put("accept");
        assertThatThrownBy(() -> call(HostCall.REQUEST_HEADER, name, 6, 0, 0xFFFF_FFF0L, 64))
                .isInstanceOf(AbiViolationException.class);
    }

    // --- invoke trigger and invalid ids ------------------------------------------------------

    @Test
    void requestCallsOnInvokeTriggerAreNotFound() {
        host.begin(
                new InvocationContext("r", "s", "f", "v", "invoke", 0, null, Map.of()),
                EffectLimits.DEFAULTS);
        long name = memory.put("accept");
        long buf = memory.alloc(64, (byte) 0);
        for (long field = 0; field < 3; field++) {
            assertThat(call(HostCall.REQUEST_GET, field, buf, 64)).isEqualTo(AbiV1.ERR_NOT_FOUND);
        }
        assertThat(call(HostCall.REQUEST_HEADER, name, 6, 0, buf, 64))
                .isEqualTo(AbiV1.ERR_NOT_FOUND);
        assertThat(call(HostCall.REQUEST_HEADERS, buf, 64)).isEqualTo(AbiV1.ERR_NOT_FOUND);
    }

    @Test
    void unknownIdsAreInvalid() {
        long buf = memory.alloc(64, (byte) 0);
        long msg = memory.put("hi");
        assertThat(call(HostCall.CONTEXT_GET, 99, buf, 64)).isEqualTo(AbiV1.ERR_INVALID);
        assertThat(call(HostCall.CONTEXT_GET, 5, buf, 64)).isEqualTo(AbiV1.ERR_INVALID);
        assertThat(call(HostCall.REQUEST_GET, -1, buf, 64)).isEqualTo(AbiV1.ERR_INVALID);
        assertThat(call(HostCall.REQUEST_GET, 3, buf, 64)).isEqualTo(AbiV1.ERR_INVALID);
        assertThat(call(HostCall.LOG, 7, msg, 2)).isEqualTo(AbiV1.ERR_INVALID);
        assertThat(call(HostCall.LOG, -1, msg, 2)).isEqualTo(AbiV1.ERR_INVALID);
        assertThat(effects.logs()).isEmpty();
    }

    // --- response status and headers ---------------------------------------------------------

    @ParameterizedTest
    @CsvSource({"199, -2, 200", "600, -2, 200", "200, 0, 200", "599, 0, 599", "-1, -2, 200"})
    void responseStatusRange(long code, long expected, int statusAfter) {
        assertThat(call(HostCall.RESPONSE_SET_STATUS, code)).isEqualTo(expected);
        assertThat(effects.status()).isEqualTo(statusAfter);
    }

    private long setHeader(String name, String value) {
        return call(
                HostCall.RESPONSE_HEADER_SET,
                memory.put(name),
                RecordingMemory.len(name),
                memory.put(value),
                RecordingMemory.len(value));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "bad name",
                "",
                "colon:",
                "x-kiln-foo",
                "X-Kiln-Request-Id",
                "Content-Length",
                "transfer-encoding",
                "connection",
                "Keep-Alive",
                "upgrade"
            })
    void invalidOrReservedHeaderNamesAreRejected(String name) {
        assertThat(setHeader(name, "v")).isEqualTo(AbiV1.ERR_INVALID);
        assertThat(effects.responseHeaders()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"a\r\nx-injected: 1", "line\nbreak", "nul\u0000", "del\u007f"})
    void headerValuesWithControlCharactersAreRejected(String value) {
        assertThat(setHeader("x-ok", value)).isEqualTo(AbiV1.ERR_INVALID);
        assertThat(effects.responseHeaders()).isEmpty();
    }

    @Test
    void headerValueMayContainTabAndUnicode() {
        assertThat(setHeader("x-ok", "a\tb ünï")).isEqualTo(AbiV1.OK);
        assertThat(effects.responseHeaders()).containsExactly(new Header("x-ok", "a\tb ünï"));
    }

    @Test
    void headerLongerThanMaxHeaderBytesIsRejectedWithoutReading() {
        int max = EffectLimits.DEFAULTS.maxHeaderBytes();
        RecordingMemory big = new RecordingMemory(max + 64);
        long r = host.call(HostCall.RESPONSE_HEADER_ADD, big, new long[] {16, 1, 17, max});
        assertThat(r).isEqualTo(AbiV1.ERR_INVALID);
        assertThat(big.readLengths()).isEmpty();
    }

    @Test
    void headerCountCapIsEnforced() {
        effects = host.begin(HostCallsTest.httpContext(), limits(1000, 65536, 1000, 2));
        assertThat(setHeader("a", "1")).isEqualTo(AbiV1.OK);
        assertThat(setHeader("b", "2")).isEqualTo(AbiV1.OK);
        assertThat(setHeader("c", "3")).isEqualTo(AbiV1.ERR_INVALID);
        // Replacing an existing header is still possible at the cap.
        assertThat(setHeader("a", "9")).isEqualTo(AbiV1.OK);
        assertThat(effects.responseHeaders())
                .containsExactly(new Header("b", "2"), new Header("a", "9"));
    }

    // --- logs --------------------------------------------------------------------------------

    private long log(String msg) {
        return call(HostCall.LOG, 1, memory.put(msg), RecordingMemory.len(msg));
    }

    @Test
    void logLineCapAddsOneMarker() {
        effects = host.begin(HostCallsTest.httpContext(), limits(3, 65536, 1000, 100));
        for (int i = 0; i < 6; i++) {
            assertThat(log("line " + i)).isEqualTo(AbiV1.OK);
        }
        assertThat(effects.logTruncated()).isTrue();
        assertThat(effects.logs())
                .extracting(GuestLogLine::message)
                .containsExactly("line 0", "line 1", "line 2", GuestEffects.LOG_TRUNCATED_MARKER);
        assertThat(effects.logs().get(3).level()).isEqualTo(LogLevel.WARN);
    }

    @Test
    void logByteCapAddsOneMarker() {
        effects = host.begin(HostCallsTest.httpContext(), limits(1000, 10, 1000, 100));
        assertThat(log("12345")).isZero();
        assertThat(log("6789")).isZero(); // 9 bytes kept
        assertThat(log("ab")).isZero(); // would make 11
        assertThat(log("c")).isZero(); // would fit, but the log is already truncated
        assertThat(effects.logTruncated()).isTrue();
        assertThat(effects.logs())
                .extracting(GuestLogLine::message)
                .containsExactly("12345", "6789", GuestEffects.LOG_TRUNCATED_MARKER);
    }

    @Test
    void hugeLogMessageReadsAtMostMaxLogBytesPlusOne() {
        int tenMiB = 10 * 1024 * 1024;
        RecordingMemory big = new RecordingMemory(tenMiB + 16);
        long r = host.call(HostCall.LOG, big, new long[] {1, 16, tenMiB});
        assertThat(r).isEqualTo(AbiV1.OK);
        assertThat(big.readLengths()).containsExactly(EffectLimits.DEFAULTS.maxLogBytes() + 1);
        assertThat(effects.logTruncated()).isTrue();
        assertThat(effects.logs())
                .extracting(GuestLogLine::message)
                .containsExactly(GuestEffects.LOG_TRUNCATED_MARKER);
    }

    // --- config, random, fail ----------------------------------------------------------------

    @Test
    void configKeyTooLongIsInvalidAndMissingKeyIsNotFound() {
        RecordingMemory big = new RecordingMemory(2 * HostCalls.MAX_KEY_BYTES);
        long[] tooLong = {0, HostCalls.MAX_KEY_BYTES + 1, 0, 0};
        assertThat(host.call(HostCall.CONFIG_GET, big, tooLong)).isEqualTo(AbiV1.ERR_INVALID);
        assertThat(big.readLengths()).isEmpty();

        long[] maxLen = {0, HostCalls.MAX_KEY_BYTES, 0, 0};
        assertThat(host.call(HostCall.CONFIG_GET, big, maxLen)).isEqualTo(AbiV1.ERR_NOT_FOUND);

        long key = memory.put("NOPE");
        assertThat(call(HostCall.CONFIG_GET, key, 4, 0, 0)).isEqualTo(AbiV1.ERR_NOT_FOUND);
        // Config keys are case-sensitive.
        long lower = memory.put("db_url");
        assertThat(call(HostCall.CONFIG_GET, lower, 6, 0, 0)).isEqualTo(AbiV1.ERR_NOT_FOUND);
    }

    @Test
    void requestHeaderNameTooLongIsInvalid() {
        RecordingMemory big = new RecordingMemory(2 * HostCalls.MAX_KEY_BYTES);
        long[] args = {0, HostCalls.MAX_KEY_BYTES + 1, 0, 0, 0};
        assertThat(host.call(HostCall.REQUEST_HEADER, big, args)).isEqualTo(AbiV1.ERR_INVALID);
        assertThat(big.readLengths()).isEmpty();
    }

    @Test
    void randomFillAboveMaxIsInvalidAndWritesNothing() {
        int max = EffectLimits.DEFAULTS.maxRandomBytes();
        RecordingMemory big = new RecordingMemory(max + 64);
        assertThat(host.call(HostCall.RANDOM_FILL, big, new long[] {16, max + 1}))
                .isEqualTo(AbiV1.ERR_INVALID);
        assertThat(big.bytesAt(16, max + 1)).containsOnly((byte) 0);
        assertThat(host.call(HostCall.RANDOM_FILL, big, new long[] {16, max})).isZero();
        assertThat(host.call(HostCall.RANDOM_FILL, big, new long[] {16, 0})).isZero();
    }

    @Test
    void failMessageIsTruncatedToMaxFailMessageBytes() {
        int max = EffectLimits.DEFAULTS.maxFailMessageBytes();
        RecordingMemory big = new RecordingMemory(4 * max);
        long ptr = big.put("x".repeat(3 * max));
        assertThat(host.call(HostCall.FAIL, big, new long[] {ptr, 3L * max})).isZero();
        assertThat(effects.failure()).isEqualTo("x".repeat(max));
        // Bounded read: the cap plus up to one more UTF-8 character to find its boundary.
        assertThat(big.readLengths()).containsExactly(max + 4);
    }

    // --- host-call cap and calls outside an invocation ---------------------------------------

    @Test
    void fourthCallOverCapOfThreeThrows() {
        effects = host.begin(HostCallsTest.httpContext(), limits(1000, 65536, 3, 100));
        call(HostCall.CLOCK_UNIX_NS);
        call(HostCall.DEADLINE_MS);
        call(HostCall.CLOCK_MONOTONIC_NS);
        assertThatThrownBy(() -> call(HostCall.CLOCK_UNIX_NS))
                .isInstanceOf(HostCallLimitException.class)
                .hasMessageContaining("3");
        // A new invocation starts a fresh budget.
        host.begin(HostCallsTest.httpContext(), limits(1000, 65536, 3, 100));
        assertThat(call(HostCall.DEADLINE_MS)).isEqualTo(HostCallsTest.DEADLINE);
    }

    @Test
    void callsBeforeBeginAndAfterEnd() {
        HostCalls fresh = new HostCalls();
        assertOutsideInvocation(fresh);
        GuestEffects e = fresh.begin(HostCallsTest.httpContext(), EffectLimits.DEFAULTS);
        fresh.end();
        assertOutsideInvocation(fresh);
        assertThat(e.logs()).isEmpty();
        assertThat(e.hostCalls()).isZero();
    }

    private void assertOutsideInvocation(HostCalls h) {
        long msg = memory.put("hello");
        long buf = memory.alloc(32, (byte) 0);
        long before = System.currentTimeMillis();
        assertThat(h.call(HostCall.CLOCK_UNIX_NS, memory, new long[0]) / 1_000_000)
                .isBetween(before - 1, System.currentTimeMillis() + 1);
        assertThat(h.call(HostCall.CLOCK_MONOTONIC_NS, memory, new long[0])).isNotZero();
        assertThat(h.call(HostCall.RANDOM_FILL, memory, new long[] {buf, 32})).isZero();
        assertThat(h.call(HostCall.LOG, memory, new long[] {1, msg, 5}))
                .isEqualTo(AbiV1.ERR_INVALID);
        assertThat(h.call(HostCall.FAIL, memory, new long[] {msg, 5})).isEqualTo(AbiV1.ERR_INVALID);
        assertThat(h.call(HostCall.RESPONSE_SET_STATUS, memory, new long[] {404}))
                .isEqualTo(AbiV1.ERR_INVALID);
        assertThat(h.call(HostCall.CONTEXT_GET, memory, new long[] {0, buf, 32}))
                .isEqualTo(AbiV1.ERR_NOT_FOUND);
        assertThat(h.call(HostCall.CONFIG_GET, memory, new long[] {msg, 5, buf, 32}))
                .isEqualTo(AbiV1.ERR_NOT_FOUND);
        assertThat(h.call(HostCall.DEADLINE_MS, memory, new long[0])).isZero();
    }
}
