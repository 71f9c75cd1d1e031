package dev.kiln.perf;

import dev.kiln.abi.InvocationContext;
import dev.kiln.host.core.InvocationOutcome;
import dev.kiln.host.sandbox.CompiledModule;
import dev.kiln.host.sandbox.InvocationLimits;
import dev.kiln.host.sandbox.ModuleCompiler;
import dev.kiln.host.sandbox.ModuleLimits;
import dev.kiln.host.sandbox.ModuleRules;
import dev.kiln.host.sandbox.ModuleValidator;
import dev.kiln.perf.peers.ServerProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * What persisting compiled code saves after a restart: for each module, N fresh JVMs compile it
 * with an empty code cache ({@code cold}), and N fresh JVMs find it in the cache a previous run
 * wrote ({@code reload}). Each child times, from inside the JVM, getting compiled code and then the
 * first invocation (instantiate, init, call). Prints medians and the ratio.
 *
 * <pre>
 * java -cp perf/target/kiln-benchmarks.jar dev.kiln.perf.CompileRestartProbe [runs]
 * </pre>
 */
public final class CompileRestartProbe {
    private CompileRestartProbe() {}

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("child")) {
            child(Path.of(args[1]), Path.of(args[2]), args[3]);
            return;
        }
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        Path work = Files.createTempDirectory("kiln-restart-probe");
        Path large = work.resolve("large.wasm");
        Files.write(large, GeneratedModules.largeModule(1 << 20));
        Path workloads = MemoryAccessBenchmark.workloads();
        List<Object[]> modules =
                List.of(
                        new Object[] {"sort.wasm", workloads.resolve("sort.wasm"), "1000"},
                        new Object[] {"json.wasm", workloads.resolve("json.wasm"), "10"},
                        new Object[] {"large (~1 MB)", large, "1"});
        System.out.printf(
                "%-14s %8s | %-34s | %-34s | %s%n",
                "module",
                "bytes",
                "cold: compile / first call (ms)",
                "reload: load / first call (ms)",
                "reload/cold (code)");
        for (Object[] m : modules) {
            Path wasm = (Path) m[1];
            List<double[]> cold = new ArrayList<>();
            for (int i = 0; i < runs; i++) {
                Path cache = Files.createTempDirectory(work, "cold");
                cold.add(spawn(wasm, cache, (String) m[2]));
            }
            Path cache = Files.createTempDirectory(work, "warm");
            spawn(wasm, cache, (String) m[2]); // fills the cache
            List<double[]> reload = new ArrayList<>();
            for (int i = 0; i < runs; i++) {
                reload.add(spawn(wasm, cache, (String) m[2]));
            }
            double coldCode = median(cold, 0);
            double reloadCode = median(reload, 0);
            System.out.printf(
                    "%-14s %8d | %14.1f / %-17.1f | %14.1f / %-17.1f | %.2f%n",
                    m[0],
                    Files.size(wasm),
                    coldCode,
                    median(cold, 1),
                    reloadCode,
                    median(reload, 1),
                    reloadCode / coldCode);
        }
        TempDirs.deleteTree(work);
    }

    private static double median(List<double[]> samples, int column) {
        double[] v = samples.stream().mapToDouble(s -> s[column]).sorted().toArray();
        return v[v.length / 2];
    }

    /** Runs a child JVM; returns {ms to get code, ms for the first invocation}. */
    private static double[] spawn(Path wasm, Path cache, String payload)
            throws IOException, InterruptedException {
        // The JVM options a deployed host runs with: its first invocation's JIT work is the point.
        List<String> cmd = new ArrayList<>(ServerProcess.javaCommand(null));
        cmd.addAll(
                List.of(
                        "-cp",
                        System.getProperty("java.class.path"),
                        CompileRestartProbe.class.getName(),
                        "child",
                        wasm.toString(),
                        cache.toString(),
                        payload));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("child failed:\n" + out);
        }
        String line =
                Arrays.stream(out.split("\n"))
                        .filter(l -> l.startsWith("RESULT "))
                        .findFirst()
                        .orElseThrow(() -> new IllegalStateException("no result:\n" + out));
        String[] f = line.substring(7).trim().split(" ", -1);
        return new double[] {Double.parseDouble(f[0]), Double.parseDouble(f[1])};
    }

    private static void child(Path wasm, Path cache, String payload) throws IOException {
        byte[] bytes = Files.readAllBytes(wasm);
        var rules = new ModuleRules("kiln_handle", 64, ModuleLimits.DEFAULTS);
        long t0 = System.nanoTime();
        CompiledModule compiled =
                new ModuleCompiler(cache).compile(ModuleValidator.validate(bytes, rules));
        long t1 = System.nanoTime();
        var r =
                compiled.instantiate()
                        .invoke(
                                new InvocationContext(
                                        "p",
                                        "p",
                                        "f",
                                        "x",
                                        "invoke",
                                        Long.MAX_VALUE,
                                        null,
                                        Map.of()),
                                payload.getBytes(StandardCharsets.UTF_8),
                                InvocationLimits.DEFAULTS,
                                Long.MAX_VALUE / 2);
        long t2 = System.nanoTime();
        if (!(r.outcome() instanceof InvocationOutcome.Ok)) {
            throw new IllegalStateException(String.valueOf(r.outcome()));
        }
        System.out.printf("RESULT %.2f %.2f%n", (t1 - t0) / 1e6, (t2 - t1) / 1e6);
    }
}
