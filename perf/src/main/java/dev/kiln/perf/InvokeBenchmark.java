package dev.kiln.perf;

import com.dylibso.chicory.wabt.Wat2Wasm;
import dev.kiln.abi.Header;
import dev.kiln.abi.HttpRequestMeta;
import dev.kiln.host.config.KilnConfig;
import dev.kiln.host.core.InvocationOutcome;
import dev.kiln.host.deploy.Deployer;
import dev.kiln.host.invoke.InvocationRequest;
import dev.kiln.host.invoke.InvocationResult;
import dev.kiln.host.invoke.Invoker;
import dev.kiln.host.invoke.RequestIds;
import dev.kiln.host.observability.InvocationStore;
import dev.kiln.host.observability.Metrics;
import dev.kiln.host.observability.RecordRetention;
import dev.kiln.host.pool.InstancePool;
import dev.kiln.host.pool.PoolLimits;
import dev.kiln.host.registry.Registry;
import dev.kiln.host.sandbox.ModuleCompiler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
 * One invocation of the echo function through {@link Invoker}, in process and without HTTP: the
 * registry lookup, the hand-off to a worker thread, pool acquire, the guest call, reset and
 * release, and the invocation record. Compare with the load generator's HTTP numbers to see what
 * the HTTP layer adds.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class InvokeBenchmark extends KilnForkedBenchmark {
    @Param({"16", "4096"})
    public int payloadBytes;

    private Path dataDir;
    private Registry registry;
    private InvocationStore records;
    private Invoker invoker;
    private InstancePool pool;
    private byte[] payload;
    private HttpRequestMeta http;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dataDir = Files.createTempDirectory("kiln-invoke-bench");
        KilnConfig config = KilnConfig.builder().dataDir(dataDir).port(0).build();
        registry = Registry.open(dataDir);
        records = InvocationStore.open(dataDir, RecordRetention.DEFAULTS);
        pool =
                new InstancePool(
                        new ModuleCompiler(dataDir.resolve("compiled")),
                        new PoolLimits(config.maxInstances(), config.instanceIdleTtl()),
                        new Metrics());
        invoker = new Invoker(config, registry, pool, records);
        new Deployer(config, registry, pool, invoker)
                .deploy("bench", "echo", "application/wasm", Wat2Wasm.parse(echoWat()));
        payload = new byte[payloadBytes];
        http =
                new HttpRequestMeta(
                        "POST",
                        "/",
                        "",
                        List.of(
                                new Header("host", "127.0.0.1:8080"),
                                new Header("content-type", "application/octet-stream"),
                                new Header("content-length", Integer.toString(payloadBytes))));
        // Fail at set-up, not in the middle of a measurement, if the function does not echo.
        if (!(invoke(null).outcome() instanceof InvocationOutcome.Ok)) {
            throw new IllegalStateException("echo failed: " + invoke(null).outcome());
        }
    }

    static String echoWat() {
        return WatResources.text("/peers/echo.wat");
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        invoker.close();
        pool.shutdown();
        records.close();
        registry.close();
        TempDirs.deleteTree(dataDir);
    }

    private InvocationResult invoke(HttpRequestMeta meta) {
        CompletableFuture<InvocationResult> done = new CompletableFuture<>();
        invoker.submit(
                new InvocationRequest(
                        RequestIds.next(),
                        "bench",
                        "echo",
                        meta == null ? "invoke" : "http",
                        payload,
                        meta,
                        0,
                        null,
                        0),
                done::complete);
        return done.join();
    }

    /** The invoke trigger: event bytes in, result bytes out. */
    @Benchmark
    public InvocationResult invokeTrigger() {
        return invoke(null);
    }

    /** The HTTP trigger's path through the invoker: the same plus request metadata for the ABI. */
    @Benchmark
    public InvocationResult httpTrigger() {
        return invoke(http);
    }
}
