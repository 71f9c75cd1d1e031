package dev.kiln.abi;

import static dev.kiln.abi.ValueKind.I32;
import static dev.kiln.abi.ValueKind.I64;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** HeaderCodec, AbiV1 result packing and the HostCall import table. */
class AbiContractTest {

    // --- HeaderCodec -------------------------------------------------------------------------

    @Test
    void headerCodecRefusesNulInsteadOfProducingAnAmbiguousList() {
        assertThatThrownBy(() -> HeaderCodec.encode(List.of(new Header("a", "x\0y"))))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aTruncatedFailMessageNeverEndsInHalfACharacter() {
        HostCalls host = new HostCalls();
        var limits = new EffectLimits(10, 100, 100, 10, 100, 4, 16);
        GuestEffects effects = host.begin(HostCallsTest.httpContext(), limits);
        RecordingMemory memory = new RecordingMemory(256);
        String msg = "aé€x"; // 1 + 2 + 3 + 1 bytes; a 4-byte cut would split the euro sign
        host.call(HostCall.FAIL, memory, new long[] {memory.put(msg), RecordingMemory.len(msg)});
        assertThat(effects.failure()).isEqualTo("aé");
    }

    @Test
    void headerCodecRoundTrips() {
        List<Header> headers =
                List.of(
                        new Header("accept", "text/html"),
                        new Header("x-multi", "1"),
                        new Header("x-multi", "2"),
                        new Header("x-empty", ""),
                        new Header("x-unicode", "grüße, 日本, 🙂"));
        byte[] encoded = HeaderCodec.encode(headers);
        assertThat(HeaderCodec.decode(encoded)).isEqualTo(headers);
        assertThat(new String(encoded, 0, 17, StandardCharsets.UTF_8))
                .isEqualTo("accept\0text/html\0");
    }

    @Test
    void headerCodecEmptyList() {
        assertThat(HeaderCodec.encode(List.of())).isEmpty();
        assertThat(HeaderCodec.decode(new byte[0])).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"a\0b", "a\0", "a", "a\0b\0c", "a\0b\0c\0d"})
    void headerCodecRejectsTruncatedInput(String malformed) {
        byte[] bytes = malformed.getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> HeaderCodec.decode(bytes))
                .isInstanceOf(IllegalArgumentException.class);
    }

    // --- AbiV1 packing -----------------------------------------------------------------------

    @Test
    void packResultHandlesHighBits() {
        long packed = AbiV1.packResult(0x8000_0000, 0x8000_0000);
        assertThat(packed).isEqualTo(0x8000_0000_8000_0000L);
        assertThat(AbiV1.resultPtr(packed)).isEqualTo(0x8000_0000L);
        assertThat(AbiV1.resultLen(packed)).isEqualTo(0x8000_0000L);

        long allOnes = AbiV1.packResult(-1, -1);
        assertThat(AbiV1.resultPtr(allOnes)).isEqualTo(0xFFFF_FFFFL);
        assertThat(AbiV1.resultLen(allOnes)).isEqualTo(0xFFFF_FFFFL);

        long small = AbiV1.packResult(1024, 0x8000_0001);
        assertThat(AbiV1.resultPtr(small)).isEqualTo(1024);
        assertThat(AbiV1.resultLen(small)).isEqualTo(0x8000_0001L);

        long zeroLen = AbiV1.packResult(0xFFFF_FFF0, 0);
        assertThat(AbiV1.resultPtr(zeroLen)).isEqualTo(0xFFFF_FFF0L);
        assertThat(AbiV1.resultLen(zeroLen)).isZero();
    }

    @Test
    void abiConstants() {
        assertThat(AbiV1.ERR_NOT_FOUND).isEqualTo(-1);
        assertThat(AbiV1.ERR_INVALID).isEqualTo(-2);
        assertThat(AbiV1.OK).isZero();
        assertThat(AbiV1.IMPORT_MODULE).isEqualTo("kiln");
    }

    // --- HostCall table ----------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(HostCall.class)
    void byImportNameFindsEveryCall(HostCall call) {
        assertThat(HostCall.byImportName(call.importName())).contains(call);
        assertThat(call.importName()).isEqualTo(call.name().toLowerCase(java.util.Locale.ROOT));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "nope", "LOG", "kiln.log", "log ", "request_headers2"})
    void byImportNameRejectsUnknownNames(String name) {
        assertThat(HostCall.byImportName(name)).isEmpty();
    }

    @Test
    void signaturesMatchAbi() {
        Map<HostCall, Signature> expected =
                Map.ofEntries(
                        Map.entry(HostCall.CONTEXT_GET, sig(List.of(I32, I32, I32), I32)),
                        Map.entry(HostCall.DEADLINE_MS, sig(List.of(), I64)),
                        Map.entry(HostCall.REQUEST_GET, sig(List.of(I32, I32, I32), I32)),
                        Map.entry(
                                HostCall.REQUEST_HEADER,
                                sig(List.of(I32, I32, I32, I32, I32), I32)),
                        Map.entry(HostCall.REQUEST_HEADERS, sig(List.of(I32, I32), I32)),
                        Map.entry(HostCall.RESPONSE_SET_STATUS, sig(List.of(I32), I32)),
                        Map.entry(
                                HostCall.RESPONSE_HEADER_SET,
                                sig(List.of(I32, I32, I32, I32), I32)),
                        Map.entry(
                                HostCall.RESPONSE_HEADER_ADD,
                                sig(List.of(I32, I32, I32, I32), I32)),
                        Map.entry(HostCall.LOG, sig(List.of(I32, I32, I32), I32)),
                        Map.entry(HostCall.CONFIG_GET, sig(List.of(I32, I32, I32, I32), I32)),
                        Map.entry(HostCall.CLOCK_UNIX_NS, sig(List.of(), I64)),
                        Map.entry(HostCall.CLOCK_MONOTONIC_NS, sig(List.of(), I64)),
                        Map.entry(HostCall.RANDOM_FILL, sig(List.of(I32, I32), I32)),
                        Map.entry(HostCall.FAIL, sig(List.of(I32, I32), I32)),
                        Map.entry(HostCall.KV_GET, sig(List.of(I32, I32, I32, I32), I32)),
                        Map.entry(HostCall.KV_SET, sig(List.of(I32, I32, I32, I32, I64), I32)),
                        Map.entry(HostCall.KV_DELETE, sig(List.of(I32, I32), I32)),
                        Map.entry(
                                HostCall.KV_LIST, sig(List.of(I32, I32, I32, I32, I32, I32), I32)),
                        Map.entry(HostCall.KV_INCREMENT, sig(List.of(I32, I32, I64, I32), I32)),
                        Map.entry(
                                HostCall.KV_COMPARE_AND_SWAP,
                                sig(List.of(I32, I32, I32, I32, I32, I32), I32)),
                        Map.entry(
                                HostCall.HTTP_SEND,
                                sig(List.of(I32, I32, I32, I32, I32, I32, I32, I32), I32)),
                        Map.entry(HostCall.HTTP_RESPONSE_STATUS, sig(List.of(I32), I32)),
                        Map.entry(HostCall.HTTP_RESPONSE_HEADERS, sig(List.of(I32, I32, I32), I32)),
                        Map.entry(HostCall.HTTP_RESPONSE_BODY, sig(List.of(I32, I32, I32), I32)));
        assertThat(expected).hasSameSizeAs(HostCall.values());
        for (HostCall call : HostCall.values()) {
            assertThat(call.signature()).as(call.importName()).isEqualTo(expected.get(call));
            assertThat(call.signature().results()).hasSize(1);
        }
        assertThat(HostCall.DEADLINE_MS.signature().toString()).isEqualTo("[] -> [I64]");
    }

    @Test
    void importNamesAreUnique() {
        assertThat(Arrays.stream(HostCall.values()).map(HostCall::importName))
                .doesNotHaveDuplicates();
    }

    private static Signature sig(List<ValueKind> params, ValueKind result) {
        return new Signature(params, List.of(result));
    }

    // --- known issues ------------------------------------------------------------------------

    /**
     * GuestEffects.putHeader lower-cases the name before the token check, and Unicode case folding
     * maps KELVIN SIGN (U+212A, 3 UTF-8 bytes) to ASCII 'k'. A non-token header name is therefore
     * accepted and silently rewritten instead of being rejected with ERR_INVALID.
     */
    @Test
    void nonAsciiHeaderNameIsRejected() {
        HostCalls host = new HostCalls();
        GuestEffects effects = host.begin(HostCallsTest.httpContext(), EffectLimits.DEFAULTS);
        RecordingMemory memory = new RecordingMemory(256);
        String name = "\u212Aey";
        long r =
                host.call(
                        HostCall.RESPONSE_HEADER_SET,
                        memory,
                        new long[] {
                            memory.put(name), RecordingMemory.len(name), memory.put("v"), 1
                        });
        assertThat(r).isEqualTo(AbiV1.ERR_INVALID);
        assertThat(effects.responseHeaders()).isEmpty();
    }

    /**
     * HostCalls.copyOut documents that the output buffer is bounds-checked "even when nothing is
     * written, so a bad pointer is caught on the first call", but calls that return -1/-2 before
     * reaching copyOut (missing request header, missing config key, invoke trigger, unknown field
     * id) never check it.
     */
    @Test
    void badOutputBufferIsRejectedEvenWhenHeaderIsMissing() {
        HostCalls host = new HostCalls();
        host.begin(HostCallsTest.httpContext(), EffectLimits.DEFAULTS);
        RecordingMemory memory = new RecordingMemory(256);
        long name = memory.put("x-absent");
        assertThatThrownBy(
                        () ->
                                host.call(
                                        HostCall.REQUEST_HEADER,
                                        memory,
                                        new long[] {name, 8, 0, 0xFFFF_FFF0L, 64}))
                .isInstanceOf(AbiViolationException.class);
    }
}
