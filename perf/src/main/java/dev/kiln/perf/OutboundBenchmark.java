package dev.kiln.perf;

import com.dylibso.chicory.wabt.Wat2Wasm;
import dev.kiln.abi.HostInputs;
import dev.kiln.abi.InvocationContext;
import dev.kiln.abi.KvBucket;
import dev.kiln.abi.OutboundLimits;
import dev.kiln.abi.OutboundRequest;
import dev.kiln.host.core.InvocationOutcome;
import dev.kiln.host.outbound.Outbound;
import dev.kiln.host.outbound.Resolver;
import dev.kiln.host.sandbox.GuestInstance;
import dev.kiln.host.sandbox.InvocationLimits;
import dev.kiln.host.sandbox.ModuleCompiler;
import dev.kiln.host.sandbox.ModuleLimits;
import dev.kiln.host.sandbox.ModuleRules;
import dev.kiln.host.sandbox.ModuleValidator;
import dev.kiln.host.sandbox.SandboxResult;
import io.undertow.Undertow;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One outbound HTTP call (docs/adr/0040) to an Undertow server on loopback answering {@code
 * responseBytes} bytes: {@code guestCall} is an invocation of a guest that makes the call with
 * {@code http_send} and copies the body into its memory; {@code hostCall} is the same request sent
 * by plain Java through the same client ({@link Outbound#send}), the same checks and the same
 * pooled connection; {@code guestNoCall} is the invocation without the call. The ratio {@code
 * guestCall / hostCall} is the ABI's overhead on a call (goal: at most 1.2).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class OutboundBenchmark extends KilnForkedBenchmark {
    @Param({"16", "16384"})
    public int responseBytes;

    static final String GUEST =
            """
            (module
              (import "kiln" "http_send"
                (func $send (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
              (import "kiln" "http_response_body" (func $body (param i32 i32 i32) (result i32)))
              (memory (export "memory") 4)
              (data (i32.const 0) "GET")
              (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
              ;; the payload is the URL; an empty payload makes no call
              (func (export "kiln_handle") (param $p i32) (param $len i32) (result i64)
                (local $h i32) (local $n i32)
                (if (i32.eqz (local.get $len)) (then (return (i64.const 0))))
                (local.set $h (call $send (i32.const 0) (i32.const 3) (local.get $p) (local.get $len)
                                          (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
                (if (i32.lt_s (local.get $h) (i32.const 0)) (then unreachable))
                (local.set $n (call $body (local.get $h) (i32.const 65536) (i32.const 131072)))
                (i64.or (i64.shl (i64.const 65536) (i64.const 32)) (i64.extend_i32_u (local.get $n)))))
            """;

    private Undertow origin;
    private Outbound outbound;
    private GuestInstance guest;
    private Path cache;
    private String url;
    private byte[] urlBytes;
    private List<String> allowed;
    private OutboundRequest request;

    @Setup(Level.Trial)
    public void setUp() throws IOException, NoSuchAlgorithmException {
        byte[] body = new byte[responseBytes];
        origin =
                Undertow.builder()
                        .addHttpListener(0, "127.0.0.1")
                        .setHandler(x -> x.getResponseSender().send(ByteBuffer.wrap(body)))
                        .build();
        origin.start();
        int port = ((InetSocketAddress) origin.getListenerInfo().get(0).getAddress()).getPort();
        url = "http://127.0.0.1:" + port + "/data";
        urlBytes = url.getBytes(StandardCharsets.UTF_8);
        allowed = List.of("http://127.0.0.1:" + port);
        request = new OutboundRequest("GET", url, List.of(), new byte[0]);
        outbound = new Outbound(OutboundLimits.DEFAULTS, SSLContext.getDefault(), Resolver.SYSTEM);
        cache = Files.createTempDirectory("kiln-outbound-bench");
        guest =
                new ModuleCompiler(cache)
                        .compile(
                                ModuleValidator.validate(
                                        Wat2Wasm.parse(GUEST),
                                        new ModuleRules("kiln_handle", 64, ModuleLimits.DEFAULTS)))
                        .instantiate();
        long n = guestCall();
        if (n != responseBytes || hostCall() != responseBytes) {
            throw new IllegalStateException("the call did not return the body: " + n);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        outbound.close();
        origin.stop();
        TempDirs.deleteTree(cache);
    }

    private SandboxResult invoke(byte[] payload) {
        long deadline = System.currentTimeMillis() + 60_000;
        SandboxResult r =
                guest.invoke(
                        new InvocationContext(
                                "bench",
                                "bench",
                                "fetch",
                                "x",
                                "invoke",
                                deadline,
                                null,
                                Map.of(),
                                KvBucket.NONE,
                                HostInputs.LIVE,
                                outbound.forInvocation(allowed, deadline)),
                        payload,
                        InvocationLimits.DEFAULTS,
                        Long.MAX_VALUE / 2);
        if (!(r.outcome() instanceof InvocationOutcome.Ok)) {
            throw new IllegalStateException(String.valueOf(r.outcome()));
        }
        return r;
    }

    @Benchmark
    public long guestCall() {
        SandboxResult r = invoke(urlBytes);
        return ((InvocationOutcome.Ok) r.outcome()).body().length;
    }

    @Benchmark
    public long guestNoCall() {
        SandboxResult r = invoke(new byte[0]);
        return ((InvocationOutcome.Ok) r.outcome()).body().length;
    }

    @Benchmark
    public long hostCall() {
        return outbound.send(allowed, request, 60_000).body().length;
    }
}
