package dev.kiln.perf;

import com.dylibso.chicory.wabt.Wat2Wasm;
import dev.kiln.host.config.KilnConfig;
import dev.kiln.host.core.InvocationOutcome;
import dev.kiln.host.deploy.Deployer;
import dev.kiln.host.deploy.SettingsPatch;
import dev.kiln.host.invoke.InvocationRequest;
import dev.kiln.host.invoke.InvocationResult;
import dev.kiln.host.invoke.Invoker;
import dev.kiln.host.invoke.RequestIds;
import dev.kiln.host.invoke.SecretSource;
import dev.kiln.host.observability.InvocationStore;
import dev.kiln.host.observability.Metrics;
import dev.kiln.host.observability.RecordRetention;
import dev.kiln.host.pool.InstancePool;
import dev.kiln.host.pool.PoolLimits;
import dev.kiln.host.registry.Registry;
import dev.kiln.host.replay.RecordingStore;
import dev.kiln.host.replay.SecretSeal;
import dev.kiln.host.sandbox.ModuleCompiler;
import dev.kiln.host.storage.DiskSpace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What recording for replay costs (docs/adr/0041): {@link InvokeBenchmark}'s echo invocation
 * through {@link Invoker}, with the function's {@code record} setting at {@code none} (nothing
 * wrapped), {@code failures} (the default: a journal buffered, nothing kept for a success) and
 * {@code all} (every invocation kept: a recording built, queued and written to {@code
 * recordings.db} by the writer thread, which shares the machine's cores with the benchmark). Goal:
 * {@code all} within 10 % of {@code none}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class RecordingBenchmark extends KilnForkedBenchmark {
    @Param({"none", "failures", "all"})
    public String record;

    @Param({"16", "4096"})
    public int payloadBytes;

    /** Recordings kept per function; 0 for the default. Not a JMH parameter: for the probe. */
    public int recordingsPerFunction;

    private Path dataDir;
    private Registry registry;
    private InvocationStore records;
    private RecordingStore recordings;
    private Invoker invoker;
    private InstancePool pool;
    private byte[] payload;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dataDir = Files.createTempDirectory("kiln-recording-bench");
        KilnConfig config = KilnConfig.builder().dataDir(dataDir).port(0).build();
        registry = Registry.open(dataDir);
        records = InvocationStore.open(dataDir, RecordRetention.DEFAULTS);
        recordings =
                RecordingStore.open(
                        dataDir,
                        recordingsPerFunction > 0
                                ? recordingsPerFunction
                                : config.recordingsPerFunction(),
                        8L * config.maxRecordingBytes(),
                        SecretSeal.NONE,
                        DiskSpace.of(dataDir, 0));
        pool =
                new InstancePool(
                        new ModuleCompiler(dataDir.resolve("compiled")),
                        new PoolLimits(config.maxInstances(), config.instanceIdleTtl()),
                        new Metrics());
        invoker =
                new Invoker(
                        config,
                        registry,
                        pool,
                        records,
                        new Metrics(),
                        null,
                        SecretSource.NONE,
                        null,
                        recordings,
                        null,
                        null);
        new Deployer(config, registry, pool, invoker)
                .deploy(
                        "bench",
                        "echo",
                        "application/wasm",
                        Wat2Wasm.parse(InvokeBenchmark.echoWat()));
        var settings = registry.require("bench", "echo").settings();
        registry.updateSettings("bench", "echo", recordSetting(record).applyTo(settings));
        payload = new byte[payloadBytes];
        InvocationResult first = invoke();
        if (!(first.outcome() instanceof InvocationOutcome.Ok)) {
            throw new IllegalStateException("echo failed: " + first.outcome());
        }
    }

    static SettingsPatch recordSetting(String mode) {
        return new SettingsPatch(
                null, null, null, null, null, null, null, null, null, null, null, null, null, mode);
    }

    /** Waits until both writer threads have written what was queued so far. */
    void settle() {
        records.flush();
        recordings.flush();
    }

    /** Recordings written so far (after a flush): what {@code all} made the writer do. */
    long recordingsWritten() {
        recordings.flush();
        return recordings.written();
    }

    /** Recordings retention replaced before they were written (after a flush). */
    long recordingsSuperseded() {
        recordings.flush();
        return recordings.superseded();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        invoker.close();
        pool.shutdown();
        recordings.close();
        records.close();
        registry.close();
        TempDirs.deleteTree(dataDir);
    }

    private InvocationResult invoke() {
        CompletableFuture<InvocationResult> done = new CompletableFuture<>();
        invoker.submit(
                new InvocationRequest(
                        RequestIds.next(), "bench", "echo", "invoke", payload, null, 0, null, 0),
                done::complete);
        return done.join();
    }

    /** One echo invocation under the {@code record} setting. */
    @Benchmark
    public InvocationResult echo() {
        return invoke();
    }
}
