package dev.kiln.perf;

import dev.kiln.abi.InvocationContext;
import dev.kiln.host.core.FunctionName;
import dev.kiln.host.core.InvocationOutcome;
import dev.kiln.host.observability.Metrics;
import dev.kiln.host.pool.InstancePool;
import dev.kiln.host.pool.Isolation;
import dev.kiln.host.pool.PoolLimits;
import dev.kiln.host.pool.PoolSpec;
import dev.kiln.host.pool.VersionKey;
import dev.kiln.host.sandbox.InvocationLimits;
import dev.kiln.host.sandbox.ModuleCompiler;
import dev.kiln.host.sandbox.ModuleLimits;
import dev.kiln.host.sandbox.ModuleRules;
import dev.kiln.host.sandbox.ResetStrategy;
import dev.kiln.host.sandbox.SandboxResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The pool's fast path on a module with 1 MiB of memory initialised by {@code kiln_init}.
 *
 * <ul>
 *   <li>{@code acquireReset}: return a used instance (resetting it to the snapshot, isolation
 *       fresh) and lease it again — what an invocation pays beyond running the guest (goal: median
 *       ≤ 20 µs). Before each call, an invocation dirtied {@code dirtyChunks} 4 KiB chunks.
 *   <li>{@code invokeFresh} / {@code invokeReuse}: acquire + invocation + release with and without
 *       the reset; their difference is everything a reset costs, including copies a strategy defers
 *       to the next invocation's first writes.
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class PoolBenchmark extends KilnForkedBenchmark {
    static final ModuleRules RULES = new ModuleRules("kiln_handle", 64, ModuleLimits.DEFAULTS);
    static final InvocationContext CONTEXT =
            new InvocationContext(
                    "bench", "b", "f", "sha", "invoke", Long.MAX_VALUE, null, Map.of());

    @Param({"COPY_ALL", "COPY_DIRTY", "COPY_ON_WRITE", "FLAT"})
    public ResetStrategy strategy;

    /** 4 KiB chunks the invocation writes (besides the payload's). */
    @Param({"1", "16"})
    public int dirtyChunks;

    private Path dir;
    private InstancePool pool;
    private PoolSpec fresh;
    private PoolSpec reuse;
    private byte[] payload;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("kiln-pool-bench");
        byte[] wasm = GeneratedModules.initialisedMemory(1024);
        pool =
                new InstancePool(
                        new ModuleCompiler(dir, strategy),
                        new PoolLimits(64, Duration.ofHours(1)),
                        new Metrics());
        VersionKey key = new VersionKey("bench", RULES);
        pool.prepare(key, () -> wasm);
        fresh = new PoolSpec(new FunctionName("b", "fresh"), key, Isolation.FRESH, 0, 0);
        reuse = new PoolSpec(new FunctionName("b", "reuse"), key, Isolation.REUSE, 0, 0);
        payload = new byte[] {(byte) dirtyChunks};
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        pool.shutdown();
        TempDirs.deleteTree(dir);
    }

    /** An instance on lease, dirtied by an invocation before each timed call. */
    @State(Scope.Thread)
    public static class Held {
        InstancePool.Lease lease;

        @Setup(Level.Invocation)
        public void dirty(PoolBenchmark b) {
            if (lease == null) {
                lease = b.pool.acquire(b.fresh, () -> null);
            }
            b.invoke(lease);
        }

        @TearDown(Level.Trial)
        public void giveBack(PoolBenchmark b) {
            b.pool.release(lease);
        }
    }

    private SandboxResult invoke(InstancePool.Lease lease) {
        SandboxResult r =
                lease.instance()
                        .invoke(CONTEXT, payload, InvocationLimits.DEFAULTS, 1_000_000_000L);
        if (!(r.outcome() instanceof InvocationOutcome.Ok)) {
            throw new IllegalStateException("benchmark guest failed: " + r.outcome());
        }
        return r;
    }

    @Benchmark
    public InstancePool.Lease acquireReset(Held held) {
        pool.release(held.lease);
        held.lease = pool.acquire(fresh, () -> null);
        return held.lease;
    }

    @Benchmark
    public SandboxResult invokeFresh() {
        return cycle(fresh);
    }

    @Benchmark
    public SandboxResult invokeReuse() {
        return cycle(reuse);
    }

    private SandboxResult cycle(PoolSpec spec) {
        InstancePool.Lease lease = pool.acquire(spec, () -> null);
        try {
            return invoke(lease);
        } finally {
            pool.release(lease);
        }
    }
}
