package dev.kiln.perf;

import dev.kiln.abi.ContextField;
import dev.kiln.abi.EffectLimits;
import dev.kiln.abi.GuestMemory;
import dev.kiln.abi.Header;
import dev.kiln.abi.HeaderCodec;
import dev.kiln.abi.HostCall;
import dev.kiln.abi.HostCalls;
import dev.kiln.abi.HttpRequestMeta;
import dev.kiln.abi.InvocationContext;
import dev.kiln.abi.LogLevel;
import dev.kiln.abi.RequestField;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The host side of ABI v1 without a Wasm runtime: the header-list codec, and the host calls a
 * typical HTTP-trigger guest makes, over a plain byte-array memory. What a guest pays per host call
 * beyond the Wasm-to-Java transition.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class AbiCodecBenchmark extends KilnForkedBenchmark {
    /** Guest memory as a byte array; bounds are checked by the ABI, as with Chicory's memory. */
    static final class ArrayMemory implements GuestMemory {
        final byte[] bytes = new byte[64 * 1024];

        @Override
        public long size() {
            return bytes.length;
        }

        @Override
        public byte[] read(int ptr, int len) {
            byte[] out = new byte[len];
            System.arraycopy(bytes, ptr, out, 0, len);
            return out;
        }

        @Override
        public void write(int ptr, byte[] src, int offset, int len) {
            System.arraycopy(src, offset, bytes, ptr, len);
        }
    }

    // Guest memory layout used below.
    static final int NAME_CONTENT_TYPE = 0; // "content-type", 12 bytes
    static final int VALUE_TEXT = 32; // "text/plain", 10 bytes
    static final int LOG_LINE = 64; // 40 bytes
    static final int OUT = 1024; // output buffer
    static final int OUT_CAP = 4096;

    /** The headers curl and a browser-like client typically send. */
    static final List<Header> HEADERS =
            List.of(
                    new Header("host", "127.0.0.1:8080"),
                    new Header("user-agent", "curl/7.88.1"),
                    new Header("accept", "*/*"),
                    new Header("accept-encoding", "gzip, deflate, br"),
                    new Header("content-type", "application/json"),
                    new Header("content-length", "42"),
                    new Header("x-request-id", "01HZX3J1Q8V6Y5W4T3S2R1P0N9"),
                    new Header("authorization", "Bearer abcdefghijklmnopqrstuvwxyz0123456789"));

    private byte[] encoded;
    private ArrayMemory memory;
    private HostCalls calls;
    private InvocationContext context;
    private final long[] contextGetArgs = {ContextField.REQUEST_ID.id(), OUT, OUT_CAP};
    private final long[] requestPathArgs = {RequestField.PATH.id(), OUT, OUT_CAP};
    private final long[] requestHeaderArgs = {NAME_CONTENT_TYPE, 12, 0, OUT, OUT_CAP};
    private final long[] requestHeadersArgs = {OUT, OUT_CAP};
    private final long[] headerSetArgs = {NAME_CONTENT_TYPE, 12, VALUE_TEXT, 10};
    private final long[] logArgs = {LogLevel.INFO.id(), LOG_LINE, 40};

    @Setup(Level.Trial)
    public void setUp() {
        encoded = HeaderCodec.encode(HEADERS);
        memory = new ArrayMemory();
        memory.write(NAME_CONTENT_TYPE, ascii("content-type"), 0, 12);
        memory.write(VALUE_TEXT, ascii("text/plain"), 0, 10);
        memory.write(LOG_LINE, ascii("handled a request in the usual manner..."), 0, 40);
        calls = new HostCalls();
        context =
                new InvocationContext(
                        "01HZX3J1Q8V6Y5W4T3S2R1P0N9",
                        "shop",
                        "checkout",
                        "4f2a",
                        "http",
                        Long.MAX_VALUE,
                        new HttpRequestMeta("POST", "/cart/checkout", "x=1", HEADERS),
                        Map.of("GREETING", "hi"));
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Benchmark
    public byte[] headerEncode() {
        return HeaderCodec.encode(HEADERS);
    }

    @Benchmark
    public List<Header> headerDecode() {
        return HeaderCodec.decode(encoded);
    }

    /** One {@code context_get(request_id)} inside an invocation. */
    @Benchmark
    public long contextGet() {
        calls.begin(context, EffectLimits.DEFAULTS);
        long r = calls.call(HostCall.CONTEXT_GET, memory, contextGetArgs);
        calls.end();
        return r;
    }

    /**
     * What a small HTTP handler does: read the path and one header, list the headers, set a
     * response header, log a line.
     */
    @Benchmark
    public long typicalHttpInvocation() {
        calls.begin(context, EffectLimits.DEFAULTS);
        long r = calls.call(HostCall.CONTEXT_GET, memory, contextGetArgs);
        r += calls.call(HostCall.REQUEST_GET, memory, requestPathArgs);
        r += calls.call(HostCall.REQUEST_HEADER, memory, requestHeaderArgs);
        r += calls.call(HostCall.REQUEST_HEADERS, memory, requestHeadersArgs);
        r += calls.call(HostCall.RESPONSE_HEADER_SET, memory, headerSetArgs);
        r += calls.call(HostCall.LOG, memory, logArgs);
        calls.end();
        return r;
    }
}
