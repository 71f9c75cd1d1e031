package dev.kiln.perf;

import dev.kiln.abi.Header;
import dev.kiln.abi.HttpRequestMeta;
import dev.kiln.abi.InvocationContext;
import dev.kiln.host.core.InvocationOutcome;
import dev.kiln.host.sandbox.Abi;
import dev.kiln.host.sandbox.CompiledModule;
import dev.kiln.host.sandbox.GuestInstance;
import dev.kiln.host.sandbox.InvocationLimits;
import dev.kiln.host.sandbox.ModuleCompiler;
import dev.kiln.host.sandbox.ModuleLimits;
import dev.kiln.host.sandbox.ModuleRules;
import dev.kiln.host.sandbox.ModuleValidator;
import dev.kiln.host.sandbox.SandboxResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * What a JavaScript function (guest-sdks/js, docs/adr/0049) costs inside the sandbox: compiling the
 * QuickJS module, the first instance (QuickJS start-up and the source evaluated in kiln_init, then
 * the snapshot), later instances from the snapshot, and one HTTP hello on a pooled instance split
 * into the handler call and the reset, with the memory a warm instance holds for itself. A main,
 * not JMH: the numbers are per-call percentiles. Run from the repository root after {@code
 * guest-sdks/js/build.sh}, with the options {@code ./kiln} gives the host ({@link KilnJvm}; without
 * {@code -XX:-DontCompileHugeMethods} QuickJS's dispatch loop is never JIT-compiled, and give it 20
 * 000 calls or more for the JIT to compile it):
 *
 * <pre>
 * java -XX:MaxRecursiveInlineLevel=2 -XX:-DontCompileHugeMethods \
 *     -cp perf/target/kiln-benchmarks.jar dev.kiln.perf.JsRuntimeProbe [module] [calls]
 * </pre>
 */
public final class JsRuntimeProbe {
    private JsRuntimeProbe() {}

    public static void main(String[] args) throws IOException {
        Path wasmPath = Path.of(args.length > 0 ? args[0] : "guest-sdks/js/build/hello.wasm");
        int calls = args.length > 1 ? Integer.parseInt(args[1]) : 3000;
        byte[] wasm = Files.readAllBytes(wasmPath);
        var rules = new ModuleRules("kiln_handle", 64, ModuleLimits.DEFAULTS, Abi.KILN);

        long t0 = System.nanoTime();
        CompiledModule module =
                new ModuleCompiler(Files.createTempDirectory("kiln-js-probe"))
                        .compile(ModuleValidator.validate(wasm, rules));
        long compiled = System.nanoTime();
        GuestInstance first = module.instantiate();
        long initialised = System.nanoTime();
        long[] later = new long[5];
        for (int i = 0; i < later.length; i++) {
            long s = System.nanoTime();
            module.instantiate();
            later[i] = System.nanoTime() - s;
        }
        Arrays.sort(later);

        var http =
                new HttpRequestMeta(
                        "GET",
                        "/greet",
                        "name=Kiln",
                        List.of(new Header("host", "127.0.0.1:8080")),
                        "HTTP/1.1",
                        "127.0.0.1");
        var context =
                new InvocationContext(
                        "01JBENCHMARK0000000000000",
                        "bench",
                        "hello",
                        "sha",
                        "http",
                        Long.MAX_VALUE,
                        http,
                        Map.of());
        byte[] payload = new byte[0];
        GuestInstance pooled = first;
        int warmup = Math.max(200, calls / 4);
        long[] invoke = new long[calls];
        long[] reset = new long[calls];
        long fuel = 0;
        long privateBytes = 0;
        for (int i = -warmup; i < calls; i++) {
            long s = System.nanoTime();
            SandboxResult r =
                    pooled.invoke(context, payload, InvocationLimits.DEFAULTS, 1_000_000_000L);
            long m = System.nanoTime();
            if (!(r.outcome() instanceof InvocationOutcome.Ok)) {
                throw new IllegalStateException("hello failed: " + r.outcome() + " " + r.logs());
            }
            privateBytes = Math.max(privateBytes, pooled.memoryHeapBytes());
            boolean kept = pooled.resetForReuse();
            long e = System.nanoTime();
            if (!kept) {
                throw new IllegalStateException("the instance could not be reset (memory grew?)");
            }
            if (i >= 0) {
                invoke[i] = m - s;
                reset[i] = e - m;
                fuel = r.fuel();
            }
        }
        Arrays.sort(invoke);
        Arrays.sort(reset);
        System.out.printf("module                %s (%,d bytes)%n", wasmPath, wasm.length);
        System.out.printf("compile               %.0f ms%n", (compiled - t0) / 1e6);
        System.out.printf(
                "first instance        %.0f ms (start, QuickJS init, source evaluated, snapshot)%n",
                (initialised - compiled) / 1e6);
        System.out.printf(
                "later instance        %.1f ms (median of 5, from the snapshot)%n", later[2] / 1e6);
        System.out.printf("snapshot              %,d bytes%n", module.snapshotBytes());
        System.out.printf(
                "pool hit: handle      p50 %.3f ms  p90 %.3f ms  p99 %.3f ms (%d calls)%n",
                pct(invoke, 50), pct(invoke, 90), pct(invoke, 99), calls);
        System.out.printf(
                "pool hit: reset       p50 %.3f ms  p90 %.3f ms  p99 %.3f ms%n",
                pct(reset, 50), pct(reset, 90), pct(reset, 99));
        System.out.printf("fuel per hello        %,d%n", fuel);
        System.out.printf(
                "warm instance memory  %,d bytes of its own (written chunks + chunk tables)%n",
                privateBytes);
    }

    private static double pct(long[] sorted, int p) {
        int i = (int) Math.min(sorted.length - 1, Math.ceil(p / 100.0 * sorted.length) - 1);
        return sorted[Math.max(0, i)] / 1e6;
    }
}
