package dev.kiln.perf;

import com.dylibso.chicory.wabt.Wat2Wasm;
import dev.kiln.abi.Header;
import dev.kiln.abi.HttpRequestMeta;
import dev.kiln.abi.InvocationContext;
import dev.kiln.host.sandbox.Abi;
import dev.kiln.host.sandbox.CompiledModule;
import dev.kiln.host.sandbox.GuestInstance;
import dev.kiln.host.sandbox.InvocationLimits;
import dev.kiln.host.sandbox.ModuleCompiler;
import dev.kiln.host.sandbox.ModuleLimits;
import dev.kiln.host.sandbox.ModuleRules;
import dev.kiln.host.sandbox.ModuleValidator;
import dev.kiln.host.sandbox.SandboxResult;
import dev.kiln.host.sandbox.WasiCgiRun;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * What one HTTP hello costs in the sandbox, by ABI and start kind: a pooled kiln-ABI instance
 * (reset after use), a kiln-ABI instance created per request, and wasi-cgi modules written in WAT,
 * C (wasi-libc) and Rust, each on a new instance per request ({@code wasi-*}, as the host runs
 * commands with a start function) and on a pooled instance reset after use ({@code *-pool}, as the
 * host runs the others). Run from the repository root after {@code guest-sdks/wasi-cgi/build.sh}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class WasiCgiStartBenchmark extends KilnForkedBenchmark {
    static final String WASI_WAT_HELLO =
            """
            (module
              (import "wasi_snapshot_preview1" "fd_write"
                (func $fd_write (param i32 i32 i32 i32) (result i32)))
              (memory (export "memory") 1)
              (data (i32.const 64) "Content-Type: text/plain\\n\\nHello, world!")
              (func (export "_start")
                (i32.store (i32.const 0) (i32.const 64))
                (i32.store (i32.const 4) (i32.const 39))
                (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
            """;

    private static final InvocationLimits LIMITS = InvocationLimits.DEFAULTS;
    private static final long FUEL = 1_000_000_000L;

    @Param({
        "kiln-pool",
        "kiln-instantiate",
        "wasi-wat",
        "wasi-wat-pool",
        "wasi-c",
        "wasi-c-pool",
        "wasi-rust",
        "wasi-rust-pool"
    })
    public String variant;

    private CompiledModule module;
    private GuestInstance pooled;
    private InvocationContext context;
    private final byte[] payload = new byte[0];

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        Path cache = Files.createTempDirectory("kiln-bench-code");
        Abi abi = variant.startsWith("kiln") ? Abi.KILN : Abi.WASI_CGI;
        byte[] wasm =
                switch (variant.replace("-pool", "")) {
                    case "kiln", "kiln-instantiate" ->
                            Files.readAllBytes(Path.of("guest-sdks/examples/wat/hello.wasm"));
                    case "wasi-wat" -> Wat2Wasm.parse(WASI_WAT_HELLO);
                    case "wasi-c" -> built("c");
                    case "wasi-rust" -> built("rust");
                    default -> throw new IllegalArgumentException(variant);
                };
        var rules = new ModuleRules("kiln_handle", 64, ModuleLimits.DEFAULTS, abi);
        module = new ModuleCompiler(cache).compile(ModuleValidator.validate(wasm, rules));
        if (variant.endsWith("-pool")) {
            pooled = module.instantiate();
        }
        var http =
                new HttpRequestMeta(
                        "GET",
                        "/",
                        "",
                        List.of(new Header("host", "127.0.0.1:8080"), new Header("accept", "*/*")),
                        "HTTP/1.1",
                        "127.0.0.1");
        context =
                new InvocationContext(
                        "01JBENCHMARK0000000000000",
                        "bench",
                        "hello",
                        "sha",
                        "http",
                        Long.MAX_VALUE,
                        http,
                        Map.of());
    }

    private static byte[] built(String lang) {
        Path p = Path.of("guest-sdks/wasi-cgi/build", lang, "hello.wasm");
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "run guest-sdks/wasi-cgi/build.sh from the repository root first", e);
        }
    }

    @Benchmark
    public SandboxResult hello() {
        SandboxResult r;
        if (pooled != null) {
            r =
                    pooled.isCommand()
                            ? command(pooled)
                            : pooled.invoke(context, payload, LIMITS, FUEL);
            if (!pooled.resetForReuse()) {
                pooled = module.instantiate();
            }
        } else if (variant.equals("kiln-instantiate")) {
            r = module.instantiate().invoke(context, payload, LIMITS, FUEL);
        } else {
            r = WasiCgiRun.run(module, context, payload, LIMITS, FUEL, Map.of(), List.of());
        }
        if (!(r.outcome() instanceof dev.kiln.host.core.InvocationOutcome.Ok)) {
            throw new IllegalStateException(variant + ": " + r.outcome());
        }
        return r;
    }

    private SandboxResult command(GuestInstance instance) {
        return WasiCgiRun.run(instance, context, payload, LIMITS, FUEL, Map.of(), List.of());
    }
}
