package dev.kiln.perf;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
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
import dev.kiln.perf.compute.ComputeBench;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Map;
import java.util.Objects;
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
 * Cost of fuel metering on compute: perf/workloads' modules (recursive fib, sha-256 over 1 MiB, a
 * quicksort, a JSON-like build-and-parse) compiled by Chicory with and without {@link
 * FuelInjector}, calling {@code run(n)} as perf/run's compute comparison does. The ratio {@code
 * metered / plain} per workload is the overhead of the injector's global (goal: at most 1.10);
 * {@code kiln} runs the module as a deployed function (validated, metered, compiled by {@link
 * ModuleCompiler} with its fuel on the memory, docs/adr/0065, on Kiln's memory, through {@code
 * kiln_handle}), so {@code kiln / plain} is what a guest pays for fuel as Kiln runs it (with, on
 * the memory-heavy workloads, Kiln's memory layout too).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class FuelOverheadBenchmark extends KilnForkedBenchmark {
    @Param({"fib", "sha256", "sort", "json"})
    public String workload;

    @Param({"plain", "metered", "kiln"})
    public String variant;

    private GuestInstance kiln;
    private byte[] event;
    private InvocationContext context;

    private ExportFunction run;
    private Instance instance;
    private int fuelGlobal = -1;
    private long n;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        byte[] wasm;
        try (InputStream in = getClass().getResourceAsStream("/workloads/" + workload + ".wasm")) {
            wasm = Objects.requireNonNull(in, workload).readAllBytes();
        }
        n = ComputeBench.Spec.named(workload).n();
        if (variant.equals("kiln")) {
            var rules = new ModuleRules(AbiV1.EXPORT_HANDLE, 256, ModuleLimits.DEFAULTS);
            kiln =
                    new ModuleCompiler(Files.createTempDirectory("kiln-fuel-bench"))
                            .compile(ModuleValidator.validate(wasm, rules))
                            .instantiate();
            event = Long.toString(n).getBytes(StandardCharsets.UTF_8);
            context =
                    new InvocationContext(
                            "b", "b", workload, "x", "invoke", Long.MAX_VALUE, null, Map.of());
            return;
        }
        if (variant.equals("metered")) {
            var metered = FuelInjector.inject(wasm);
            wasm = metered.wasm();
            fuelGlobal = metered.fuelGlobal();
        }
        WasmModule module = Parser.parse(wasm);
        instance =
                Instance.builder(module)
                        .withMemoryFactory(ByteArrayMemory::new) // as Kiln runs guests
                        .withMachineFactory(MachineFactoryCompiler.compile(module))
                        .build();
        run = instance.export("run");
    }

    @Benchmark
    public long run() {
        if (kiln != null) {
            SandboxResult r =
                    kiln.invoke(context, event, InvocationLimits.DEFAULTS, Long.MAX_VALUE / 2);
            if (!(r.outcome() instanceof InvocationOutcome.Ok ok)) {
                throw new IllegalStateException(String.valueOf(r.outcome()));
            }
            return Long.parseLong(new String(ok.body(), StandardCharsets.UTF_8).strip());
        }
        if (fuelGlobal >= 0) {
            instance.global(fuelGlobal).setValue(Long.MAX_VALUE / 2);
        }
        return run.apply(n)[0];
    }
}
