package dev.kiln.perf;

import dev.kiln.host.sandbox.CompiledModule;
import dev.kiln.host.sandbox.GuestInstance;
import dev.kiln.host.sandbox.ModuleCompiler;
import dev.kiln.host.sandbox.ModuleLimits;
import dev.kiln.host.sandbox.ModuleRules;
import dev.kiln.host.sandbox.ModuleValidator;
import dev.kiln.host.sandbox.ResetStrategy;
import dev.kiln.host.sandbox.ValidatedModule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * Starting instances without a pool hit: {@code instantiate} builds an instance from compiled code
 * and the post-init snapshot of a module with 1 MiB of initialised memory (goal ≤ 1 ms); {@code
 * compileLarge} compiles a ~1 MB module from scratch (fuel instrumentation + Chicory's compiler,
 * empty code cache), {@code reloadLarge} gets the same code from the disk cache of an earlier
 * compilation (both in a warmed-up JVM; see {@code CompileRestartProbe} for fresh JVMs).
 */
@State(Scope.Thread)
public class StartBenchmark extends KilnForkedBenchmark {
    static final ModuleRules RULES = new ModuleRules("kiln_handle", 64, ModuleLimits.DEFAULTS);

    @Param({"COPY_ALL", "COPY_ON_WRITE", "FLAT"})
    public ResetStrategy strategy;

    /** Size of the "large" module; BenchmarkSanityTest makes it small to stay fast. */
    int largeBytes = 1 << 20;

    private CompiledModule image;
    private ValidatedModule large;
    private Path warmCache;
    private Path coldCache;

    @Setup(Level.Trial)
    public void setUpImage() throws IOException {
        image =
                new ModuleCompiler(Files.createTempDirectory("kiln-start-bench"), strategy)
                        .compile(
                                ModuleValidator.validate(
                                        GeneratedModules.initialisedMemory(1024), RULES));
        image.instantiate(); // takes the snapshot
    }

    @Setup(Level.Trial)
    public void setUpLarge() throws IOException {
        byte[] big = GeneratedModules.largeModule(largeBytes);
        System.out.println("large module: " + big.length + " bytes");
        large = ModuleValidator.validate(big, RULES);
        warmCache = Files.createTempDirectory("kiln-start-cache");
        new ModuleCompiler(warmCache, strategy).compile(large);
    }

    @Setup(Level.Invocation)
    public void emptyCache() throws IOException {
        coldCache = Files.createTempDirectory("kiln-start-cold");
    }

    @org.openjdk.jmh.annotations.TearDown(Level.Invocation)
    public void dropCache() throws IOException {
        TempDirs.deleteTree(coldCache);
    }

    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @Warmup(iterations = 3, time = 2)
    @Measurement(iterations = 5, time = 2)
    public GuestInstance instantiate() {
        return image.instantiate();
    }

    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 3)
    @Measurement(iterations = 10)
    public CompiledModule compileLarge() {
        return new ModuleCompiler(coldCache, strategy).compile(large);
    }

    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 3)
    @Measurement(iterations = 10)
    public CompiledModule reloadLarge() {
        return new ModuleCompiler(warmCache, strategy).compile(large);
    }
}
