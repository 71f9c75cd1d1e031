package dev.kiln.perf;

import dev.kiln.abi.Header;
import dev.kiln.abi.HttpRequestMeta;
import dev.kiln.abi.InvocationContext;
import dev.kiln.host.core.InvocationOutcome;
import dev.kiln.host.sandbox.Abi;
import dev.kiln.host.sandbox.CompiledModule;
import dev.kiln.host.sandbox.InvocationLimits;
import dev.kiln.host.sandbox.ModuleCompiler;
import dev.kiln.host.sandbox.ModuleLimits;
import dev.kiln.host.sandbox.ModuleRules;
import dev.kiln.host.sandbox.ModuleValidator;
import dev.kiln.host.sandbox.SandboxResult;
import dev.kiln.host.sandbox.WasiCgiRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipInputStream;

/**
 * What a Java function (guest-sdks/java, TeaVM WASI command, docs/adr/0051) costs inside the
 * sandbox: compiling the module, then one HTTP hello per fresh instance through the wasi-cgi ABI,
 * as the host runs it (percentiles of the whole call: instance, TeaVM start-up, handler, response).
 * A main, not JMH. Run from the repository root after {@code guest-sdks/java/build.sh}:
 *
 * <pre>java -cp perf/target/kiln-benchmarks.jar dev.kiln.perf.JavaRuntimeProbe [zip|wasm] [calls]
 * </pre>
 */
public final class JavaRuntimeProbe {
    private JavaRuntimeProbe() {}

    public static void main(String[] args) throws IOException {
        Path path = Path.of(args.length > 0 ? args[0] : "guest-sdks/java/build/hello.zip");
        int calls = args.length > 1 ? Integer.parseInt(args[1]) : 3000;
        byte[] wasm = moduleOf(path);
        var rules = new ModuleRules("kiln_handle", 64, ModuleLimits.DEFAULTS, Abi.WASI_CGI);

        long t0 = System.nanoTime();
        CompiledModule module =
                new ModuleCompiler(Files.createTempDirectory("kiln-java-probe"))
                        .compile(ModuleValidator.validate(wasm, rules));
        long compiled = System.nanoTime();

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
        int warmup = Math.max(200, calls / 4);
        long[] took = new long[calls];
        long fuel = 0;
        long firstCall = 0;
        for (int i = -warmup; i < calls; i++) {
            long s = System.nanoTime();
            SandboxResult r =
                    WasiCgiRun.run(
                            module,
                            context,
                            payload,
                            InvocationLimits.DEFAULTS,
                            1_000_000_000L,
                            Map.of(),
                            List.of());
            long e = System.nanoTime();
            if (!(r.outcome() instanceof InvocationOutcome.Ok)) {
                throw new IllegalStateException("hello failed: " + r.outcome() + " " + r.logs());
            }
            if (i == -warmup) {
                firstCall = e - s;
            }
            if (i >= 0) {
                took[i] = e - s;
                fuel = r.fuel();
            }
        }
        Arrays.sort(took);
        System.out.printf("module                %s (%,d bytes of Wasm)%n", path, wasm.length);
        System.out.printf("compile               %.0f ms%n", (compiled - t0) / 1e6);
        System.out.printf("first call            %.1f ms%n", firstCall / 1e6);
        System.out.printf(
                "hello (fresh instance) p50 %.3f ms  p90 %.3f ms  p99 %.3f ms (%d calls)%n",
                pct(took, 50), pct(took, 90), pct(took, 99), calls);
        System.out.printf("fuel per hello        %,d%n", fuel);
    }

    /** The module itself, or the one .wasm entry of a zip. */
    private static byte[] moduleOf(Path path) throws IOException {
        if (!path.toString().endsWith(".zip")) {
            return Files.readAllBytes(path);
        }
        try (var zip = new ZipInputStream(Files.newInputStream(path))) {
            for (var e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
                if (e.getName().endsWith(".wasm")) {
                    return zip.readAllBytes();
                }
            }
        }
        throw new IOException(path + " holds no .wasm");
    }

    private static double pct(long[] sorted, int p) {
        int i = (int) Math.min(sorted.length - 1, Math.ceil(p / 100.0 * sorted.length) - 1);
        return sorted[Math.max(0, i)] / 1e6;
    }
}
