package dev.kiln.perf.compute;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.abi.AbiV1;
import dev.kiln.abi.InvocationContext;
import dev.kiln.host.core.InvocationOutcome;
import dev.kiln.host.fuel.FuelInjector;
import dev.kiln.host.sandbox.GuestInstance;
import dev.kiln.host.sandbox.InvocationLimits;
import dev.kiln.host.sandbox.ModuleCompiler;
import dev.kiln.host.sandbox.ModuleLimits;
import dev.kiln.host.sandbox.ModuleRules;
import dev.kiln.host.sandbox.ModuleValidator;
import dev.kiln.host.sandbox.SandboxResult;
import dev.kiln.host.sandbox.ValidatedModule;
import dev.kiln.perf.compute.ComputeReport.Timing;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Times perf/workloads' {@code run(n)} in Chicory's compiler mode (plain, and instrumented by
 * Kiln's {@link FuelInjector} as every deployed module is) and in node's V8, the same way in both.
 */
public final class ComputeBench {
    /** Workload, its n, and the answer every engine must give (perf/workloads/README.md). */
    public record Spec(String name, int n, String expected) {
        /** The workload called {@code name}. */
        public static Spec named(String name) {
            return WORKLOADS.stream()
                    .filter(w -> w.name.equals(name))
                    .findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no workload " + name));
        }
    }

    /** Also what FuelOverheadBenchmark times. */
    public static final List<Spec> WORKLOADS =
            List.of(
                    new Spec("fib", 25, "75025"),
                    new Spec("sha256", 1024, "4448081957801524790"),
                    new Spec("sort", 100_000, "72905086103846651"),
                    new Spec("json", 5000, "7375591576"));

    private static final int MAX_SAMPLES = 1_000_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private ComputeBench() {}

    /**
     * Times every workload on each engine.
     *
     * @param node the node executable, or null when it is not installed ({@code nodeMissing} says
     *     why)
     */
    public static ComputeReport run(
            Path workloadsDir,
            Path node,
            String nodeMissing,
            Path workDir,
            ComputeSettings settings,
            PrintStream log)
            throws IOException, InterruptedException {
        Map<String, Timing> v8 = Map.of();
        String v8Note = nodeMissing;
        if (node != null) {
            log.println("[compute] V8 (node): timing " + names());
            try {
                v8 = timeInV8(node, workloadsDir, workDir, settings);
            } catch (IOException e) {
                v8Note = "node failed: " + e.getMessage();
                log.println("[compute] " + v8Note);
            }
        }
        List<ComputeReport.Workload> results = new ArrayList<>();
        for (Spec w : WORKLOADS) {
            byte[] wasm = Files.readAllBytes(workloadsDir.resolve(w.name() + ".wasm"));
            log.printf("[compute] Chicory, plain and with fuel: %s(%d)%n", w.name(), w.n());
            Timing plain = timeInChicory(wasm, false, w.n(), settings);
            Timing metered = timeInChicory(wasm, true, w.n(), settings);
            log.printf("[compute] Kiln: %s(%d)%n", w.name(), w.n());
            Timing kiln = timeInKiln(wasm, w.name(), w.n(), settings, workDir.resolve("compiled"));
            Timing inV8 = v8.get(w.name());
            List<String> wrong = new ArrayList<>();
            check(wrong, "Chicory", plain, w);
            check(wrong, "Chicory with fuel", metered, w);
            check(wrong, "Kiln", kiln, w);
            if (inV8 != null) {
                check(wrong, "V8", inV8, w);
            }
            results.add(
                    new ComputeReport.Workload(
                            w.name(),
                            w.n(),
                            inV8,
                            plain,
                            metered,
                            kiln,
                            wrong.isEmpty() ? null : String.join("; ", wrong)));
        }
        return new ComputeReport(results, v8Note);
    }

    private static String names() {
        return String.join(
                ", ", WORKLOADS.stream().map(w -> w.name() + "(" + w.n() + ")").toList());
    }

    private static void check(List<String> wrong, String engine, Timing t, Spec w) {
        if (!t.result().equals(w.expected())) {
            wrong.add(engine + " returned " + t.result() + ", expected " + w.expected());
        }
    }

    /** Compiles the module to JVM bytecode (with fuel metering if asked) and times run(n). */
    static Timing timeInChicory(byte[] wasm, boolean fuel, int n, ComputeSettings settings) {
        int fuelGlobal = -1;
        byte[] code = wasm;
        if (fuel) {
            FuelInjector.Instrumented metered = FuelInjector.inject(wasm);
            code = metered.wasm();
            fuelGlobal = metered.fuelGlobal();
        }
        WasmModule module = Parser.parse(code);
        Instance instance =
                Instance.builder(module)
                        .withMachineFactory(MachineFactoryCompiler.compile(module))
                        .build();
        ExportFunction run = instance.export("run");
        int global = fuelGlobal;
        return time(
                () -> {
                    if (global >= 0) {
                        instance.global(global).setValue(Long.MAX_VALUE / 2);
                    }
                    return Long.toString(run.apply(n)[0]);
                },
                settings);
    }

    /**
     * Times the module as Kiln runs a deployed function: validated, fuel-instrumented and compiled
     * by {@link ModuleCompiler}, instantiated by the sandbox, called through {@code kiln_handle}
     * with n as the event (the workload's ABI glue parses it and prints the result).
     */
    static Timing timeInKiln(
            byte[] wasm, String name, int n, ComputeSettings settings, Path cache) {
        ValidatedModule validated =
                ModuleValidator.validate(
                        wasm, new ModuleRules(AbiV1.EXPORT_HANDLE, 64, ModuleLimits.DEFAULTS));
        GuestInstance instance = new ModuleCompiler(cache).compile(validated).instantiate();
        byte[] event = Integer.toString(n).getBytes(StandardCharsets.UTF_8);
        InvocationContext context =
                new InvocationContext(
                        "perf", "perf", name, "0", "invoke", Long.MAX_VALUE, null, Map.of());
        return time(
                () -> {
                    SandboxResult r =
                            instance.invoke(
                                    context, event, InvocationLimits.DEFAULTS, Long.MAX_VALUE / 2);
                    if (!(r.outcome() instanceof InvocationOutcome.Ok ok)) {
                        throw new IllegalStateException(name + " failed in Kiln: " + r.outcome());
                    }
                    return new String(ok.body(), StandardCharsets.UTF_8);
                },
                settings);
    }

    /** Warm-up by time (at least 3 runs), then single timed runs; the median and the fastest. */
    private static Timing time(Supplier<String> run, ComputeSettings settings) {
        String result = null;
        long warmupEnd = System.nanoTime() + settings.warmup().toNanos();
        for (int warm = 0; System.nanoTime() < warmupEnd || warm < 3; warm++) {
            result = run.get();
        }
        long[] samples = new long[16];
        int count = 0;
        long measureEnd = System.nanoTime() + settings.measure().toNanos();
        while ((System.nanoTime() < measureEnd || count < settings.minIterations())
                && count < MAX_SAMPLES) {
            long t0 = System.nanoTime();
            result = run.get();
            long t1 = System.nanoTime();
            if (count == samples.length) {
                samples = Arrays.copyOf(samples, count * 2);
            }
            samples[count++] = t1 - t0;
        }
        long[] sorted = Arrays.copyOf(samples, count);
        Arrays.sort(sorted);
        return new Timing(sorted[count / 2] / 1e6, sorted[0] / 1e6, count, result);
    }

    private static Map<String, Timing> timeInV8(
            Path node, Path workloadsDir, Path workDir, ComputeSettings settings)
            throws IOException, InterruptedException {
        Path runner = workDir.resolve("v8-runner.mjs");
        try (InputStream in = ComputeBench.class.getResourceAsStream("/compute/v8-runner.mjs")) {
            Files.write(runner, in.readAllBytes());
        }
        Map<String, Object> spec = new LinkedHashMap<>();
        List<Map<String, Object>> workloads = new ArrayList<>();
        for (Spec w : WORKLOADS) {
            workloads.add(
                    Map.of(
                            "name", w.name(),
                            "file",
                                    workloadsDir
                                            .resolve(w.name() + ".wasm")
                                            .toAbsolutePath()
                                            .toString(),
                            "n", w.n()));
        }
        spec.put("workloads", workloads);
        spec.put("warmupMs", settings.warmup().toMillis());
        spec.put("measureMs", settings.measure().toMillis());
        spec.put("minIterations", settings.minIterations());
        Process p =
                new ProcessBuilder(
                                node.toString(), runner.toString(), JSON.writeValueAsString(spec))
                        .redirectError(workDir.resolve("v8-runner.err").toFile())
                        .start();
        byte[] out = p.getInputStream().readAllBytes();
        long budget = (settings.warmup().toMillis() + settings.measure().toMillis()) * 4 + 60_000;
        if (!p.waitFor(budget, TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new IOException("the V8 runner did not finish in " + budget + " ms");
        }
        if (p.exitValue() != 0) {
            throw new IOException(
                    "the V8 runner exited with "
                            + p.exitValue()
                            + ": "
                            + Files.readString(workDir.resolve("v8-runner.err")).strip());
        }
        JsonNode root = JSON.readTree(new String(out, StandardCharsets.UTF_8));
        Map<String, Timing> timings = new LinkedHashMap<>();
        for (Spec w : WORKLOADS) {
            JsonNode t = root.path(w.name());
            timings.put(
                    w.name(),
                    new Timing(
                            t.path("medianNanos").asDouble() / 1e6,
                            t.path("minNanos").asDouble() / 1e6,
                            t.path("iterations").asInt(),
                            t.path("result").asText()));
        }
        return timings;
    }
}
