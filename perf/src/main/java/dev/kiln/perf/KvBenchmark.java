package dev.kiln.perf;

import dev.kiln.abi.KvBucket;
import dev.kiln.host.kv.KvLimits;
import dev.kiln.host.kv.SqliteKvStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The key-value store behind the {@code kv_*} host calls (docs/adr/0039), on a real {@code kv.db}:
 * what one call costs the host besides the ABI copy. {@code get} reads one of {@code keys} keys;
 * {@code set} writes one ({@code valueBytes} bytes, committed before it returns); {@code increment}
 * is one counter's atomic read-modify-write. The {@code …Contended} variants run 4 threads at once:
 * writes share commits through the store's one writer (group commit), so their throughput (ops/s =
 * threads / latency) shows what batching buys.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
public class KvBenchmark extends KilnForkedBenchmark {
    @Param({"1000"})
    public int keys;

    @Param({"100", "16384"})
    public int valueBytes;

    private Path dir;
    private SqliteKvStore store;
    private KvBucket bucket;
    private byte[][] keyBytes;
    private byte[] value;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("kiln-kv-bench");
        store = SqliteKvStore.open(dir, new KvLimits(keys * 2, 1L << 34));
        bucket = store.bucket("bench");
        keyBytes = new byte[keys][];
        value = new byte[valueBytes];
        for (int i = 0; i < keys; i++) {
            keyBytes[i] = ("key-" + i).getBytes(StandardCharsets.UTF_8);
            bucket.set(keyBytes[i], value, 0);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        store.close();
        TempDirs.deleteTree(dir);
    }

    private byte[] anyKey() {
        return keyBytes[ThreadLocalRandom.current().nextInt(keys)];
    }

    @Benchmark
    public Object get() {
        return bucket.get(anyKey());
    }

    @Benchmark
    public void set() {
        bucket.set(anyKey(), value, 0);
    }

    @Benchmark
    public long increment() {
        return bucket.increment(COUNTER, 1);
    }

    @Benchmark
    @Threads(4)
    public Object getContended() {
        return bucket.get(anyKey());
    }

    @Benchmark
    @Threads(4)
    public void setContended() {
        bucket.set(anyKey(), value, 0);
    }

    @Benchmark
    @Threads(4)
    public long incrementContended() {
        return bucket.increment(COUNTER, 1);
    }

    private static final byte[] COUNTER = "counter".getBytes(StandardCharsets.UTF_8);
}
