package dev.kiln.perf;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import dev.kiln.abi.InvocationContext;
import dev.kiln.host.core.InvocationOutcome;
import dev.kiln.host.fuel.FuelInjector;
import dev.kiln.host.sandbox.GuestInstance;
import dev.kiln.host.sandbox.InvocationLimits;
import dev.kiln.host.sandbox.ModuleCompiler;
import dev.kiln.host.sandbox.ModuleLimits;
import dev.kiln.host.sandbox.ModuleRules;
import dev.kiln.host.sandbox.ModuleValidator;
import dev.kiln.host.sandbox.ResetStrategy;
import dev.kiln.host.sandbox.SandboxResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * What Kiln's own linear memory (chunked, tracking writes so it can be reset) costs guest code,
 * against Chicory's default memory, on the memory-heavy compute workloads of perf/workloads. Both
 * run the same fuel-metered module; Kiln's goes through {@code kiln_handle} (a few µs of ABI on
 * ms-long runs). {@code kiln-fresh} also resets the instance after every run, as isolation fresh
 * does, so the copies a reset causes are included; {@code kiln-flat} does the same with {@code
 * --reset-strategy FLAT} (docs/adr/0064). JMH forks a JVM per parameter set, so each layout's guest
 * code is compiled for that layout alone, as in a host.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class MemoryAccessBenchmark extends KilnForkedBenchmark {
    @Param({"sort", "sha256", "json"})
    public String workload;

    @Param({"chicory", "kiln-reuse", "kiln-fresh", "kiln-flat"})
    public String memory;

    private ExportFunction run;
    private Instance chicory;
    private int fuelGlobal;
    private GuestInstance kiln;
    private byte[] payload;
    private int n;

    static Path workloads() {
        return Path.of(System.getProperty("kiln.workloads", "perf/workloads"));
    }

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        byte[] wasm = Files.readAllBytes(workloads().resolve(workload + ".wasm"));
        n =
                switch (workload) {
                    case "sort" -> 20_000;
                    case "json" -> 1000;
                    default -> 64;
                };
        payload = String.valueOf(n).getBytes(StandardCharsets.UTF_8);
        if (memory.equals("chicory")) {
            var metered = FuelInjector.inject(wasm);
            fuelGlobal = metered.fuelGlobal();
            WasmModule module = Parser.parse(metered.wasm());
            chicory =
                    Instance.builder(module)
                            .withMachineFactory(MachineFactoryCompiler.compile(module))
                            .build();
            run = chicory.export("run");
        } else {
            var rules = new ModuleRules("kiln_handle", 256, ModuleLimits.DEFAULTS);
            kiln =
                    new ModuleCompiler(
                                    Files.createTempDirectory("kiln-mem-bench"),
                                    memory.equals("kiln-flat")
                                            ? ResetStrategy.FLAT
                                            : ResetStrategy.COPY_ON_WRITE)
                            .compile(ModuleValidator.validate(wasm, rules))
                            .instantiate();
        }
    }

    @Benchmark
    public long run() {
        if (chicory != null) {
            chicory.global(fuelGlobal).setValue(Long.MAX_VALUE / 2);
            return run.apply(n)[0];
        }
        SandboxResult r =
                kiln.invoke(
                        new InvocationContext(
                                "b", "b", "w", "x", "invoke", Long.MAX_VALUE, null, Map.of()),
                        payload,
                        InvocationLimits.DEFAULTS,
                        Long.MAX_VALUE / 2);
        if (!(r.outcome() instanceof InvocationOutcome.Ok ok)) {
            throw new IllegalStateException(String.valueOf(r.outcome()));
        }
        if (!memory.equals("kiln-reuse") && !kiln.resetForReuse()) {
            throw new IllegalStateException("not resettable");
        }
        return ok.body().length;
    }
}
