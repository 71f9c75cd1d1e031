package dev.kiln.host.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.abi.InvocationContext;
import dev.kiln.host.core.FunctionName;
import dev.kiln.host.core.InvocationOutcome;
import dev.kiln.host.observability.Metrics;
import dev.kiln.host.sandbox.InvocationLimits;
import dev.kiln.host.sandbox.ModuleCompiler;
import dev.kiln.host.sandbox.ModuleLimits;
import dev.kiln.host.sandbox.ModuleRules;
import dev.kiln.host.testing.Wat;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pool's bookkeeping: limits, warm minimum, idle TTL, draining, eviction, leak check. */
class InstancePoolTest {
    static final ModuleRules RULES = new ModuleRules("kiln_handle", 16, ModuleLimits.DEFAULTS);

    /** Counts calls in a global; traps when the payload is "trap". */
    static final String COUNTER =
            """
            (module
              (memory (export "memory") 1)
              (global $n (mut i32) (i32.const 48))
              (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
              (func (export "kiln_handle") (param $p i32) (param $len i32) (result i64)
                (if (i32.eq (i32.load8_u (local.get $p)) (i32.const 116)) (then unreachable))
                (global.set $n (i32.add (global.get $n) (i32.const 1)))
                (i32.store8 (i32.const 2048) (global.get $n))
                (i64.or (i64.shl (i64.const 2048) (i64.const 32)) (i64.const 1))))
            """;

    @TempDir Path dir;
    private final Metrics metrics = new Metrics();
    private InstancePool pool;

    private InstancePool pool(int maxInstances, Duration ttl) {
        pool =
                new InstancePool(
                        new ModuleCompiler(dir.resolve("compiled")),
                        new PoolLimits(maxInstances, ttl),
                        metrics);
        return pool;
    }

    @AfterEach
    void shutDown() {
        if (pool != null) {
            pool.shutdown();
        }
    }

    private static Supplier<byte[]> wasm(String wat) {
        byte[] bytes = Wat.compile(wat);
        return () -> bytes;
    }

    private static PoolSpec spec(String fn, String sha, Isolation iso, int min, int max) {
        return new PoolSpec(FunctionName.parse(fn), new VersionKey(sha, RULES), iso, min, max);
    }

    private static String invoke(InstancePool.Lease lease, String payload) {
        var r =
                lease.instance()
                        .invoke(
                                new InvocationContext(
                                        "r",
                                        "s",
                                        "f",
                                        "x",
                                        "invoke",
                                        Long.MAX_VALUE,
                                        null,
                                        Map.of()),
                                payload.getBytes(StandardCharsets.UTF_8),
                                InvocationLimits.DEFAULTS,
                                1_000_000_000L);
        return r.outcome() instanceof InvocationOutcome.Ok ok
                ? new String(ok.body(), StandardCharsets.UTF_8)
                : r.outcome().getClass().getSimpleName();
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() - until).as("condition not met in time").isNegative();
            Thread.sleep(5);
        }
    }

    @Test
    void startKindsAreColdThenPoolThenWarmWhenAllAreBusy() {
        pool(16, Duration.ofHours(1));
        var s = spec("a/f", "c1", Isolation.FRESH, 0, 0);
        var w = wasm(COUNTER);
        var first = pool.acquire(s, w);
        assertThat(first.startKind()).isEqualTo(StartKind.COLD);
        var second = pool.acquire(s, w); // the first is busy: instantiated from compiled code
        assertThat(second.startKind()).isEqualTo(StartKind.WARM);
        pool.release(first);
        pool.release(second);
        assertThat(pool.acquire(s, w).startKind()).isEqualTo(StartKind.POOL);
    }

    @Test
    void freshResetsAndReuseCarriesStatePerInstance() {
        pool(16, Duration.ofHours(1));
        var w = wasm(COUNTER);
        var fresh = spec("a/fresh", "c1", Isolation.FRESH, 0, 0);
        var reuse = spec("a/reuse", "c1", Isolation.REUSE, 0, 0);
        for (int i = 0; i < 3; i++) {
            var l = pool.acquire(fresh, w);
            assertThat(invoke(l, "x")).isEqualTo("1");
            pool.release(l);
        }
        for (int i = 1; i <= 3; i++) {
            var l = pool.acquire(reuse, w);
            assertThat(invoke(l, "x")).isEqualTo(String.valueOf(i));
            pool.release(l);
        }
    }

    @Test
    void aLeaseReturnedTwiceIsRefusedAndAnUnreturnedOneIsReportedAtShutdown() {
        pool(16, Duration.ofHours(1));
        var s = spec("a/f", "c1", Isolation.FRESH, 0, 0);
        var lease = pool.acquire(s, wasm(COUNTER));
        var other = pool.acquire(s, wasm(COUNTER));
        pool.release(other);
        assertThatThrownBy(() -> pool.release(other)).isInstanceOf(IllegalStateException.class);
        assertThat(pool.shutdown()).containsExactly(Map.entry("a/f", 1));
        pool.release(lease);
        assertThat(pool.shutdown()).isEmpty();
    }

    @Test
    void minInstancesAreKeptWarmAndRefilledAfterAFailure() throws Exception {
        pool(16, Duration.ofMillis(50));
        var s = spec("a/f", "c1", Isolation.FRESH, 2, 0);
        var w = wasm(COUNTER);
        pool.activate(s, w);
        await(() -> pool.stats(new FunctionName("a", "f")).idle() == 2);
        var l = pool.acquire(s, w);
        assertThat(l.startKind()).isEqualTo(StartKind.POOL);
        assertThat(invoke(l, "trap")).isEqualTo("Trap");
        pool.release(l); // failed: dropped, and the minimum is restored off this thread
        await(() -> pool.stats(new FunctionName("a", "f")).idle() == 2);
        // A witness without a minimum, idle since after a/f's instances: once the TTL sweep has
        // removed it, the sweep has passed a/f's instances too, and the minimum must stay.
        var witness = spec("a/witness", "c1", Isolation.FRESH, 0, 0);
        pool.release(pool.acquire(witness, w));
        await(() -> pool.stats(new FunctionName("a", "witness")).live() == 0);
        assertThat(pool.stats(new FunctionName("a", "f")).live()).isEqualTo(2);
        assertThat(metrics.scrape())
                .contains("kiln_instances_discarded_total{reason=\"failed\"} 1");
    }

    @Test
    void idleInstancesBeyondTheMinimumGoAfterTheirTtl() throws Exception {
        pool(16, Duration.ofMillis(100));
        var s = spec("a/f", "c1", Isolation.FRESH, 1, 0);
        var w = wasm(COUNTER);
        List<InstancePool.Lease> leases = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            leases.add(pool.acquire(s, w));
        }
        leases.forEach(pool::release);
        assertThat(pool.stats(new FunctionName("a", "f")).idle()).isGreaterThanOrEqualTo(4);
        // The sweep takes expired instances out of their pool, then closes them and gives back
        // their host-wide slots: the two counts meet once it has finished.
        await(
                () ->
                        pool.stats(new FunctionName("a", "f")).live() == 1
                                && pool.liveInstances() == 1);
        assertThat(pool.stats(new FunctionName("a", "f")).live()).isEqualTo(1);
        assertThat(pool.liveInstances()).isEqualTo(1);
    }

    @Test
    void theHostLimitEvictsTheLongestIdleInstanceElsewhereThenRefuses() throws Exception {
        pool(2, Duration.ofHours(1));
        var w = wasm(COUNTER);
        var a = spec("a/a", "c1", Isolation.FRESH, 0, 0);
        var b = spec("a/b", "c1", Isolation.FRESH, 0, 0);
        var a1 = pool.acquire(a, w);
        var a2 = pool.acquire(a, w);
        pool.release(a1);
        pool.release(a2);
        var b1 = pool.acquire(b, w); // evicts one of a's idle instances
        assertThat(pool.stats(new FunctionName("a", "a")).live()).isEqualTo(1);
        var b2 = pool.acquire(b, w); // evicts the other
        assertThat(pool.stats(new FunctionName("a", "a")).live()).isZero();
        assertThatThrownBy(() -> pool.acquire(a, w))
                .isInstanceOf(InstanceLimitException.class)
                .hasMessageContaining("limit of 2 instances");
        pool.release(b1);
        pool.release(b2);
        assertThat(pool.liveInstances()).isEqualTo(2);
        assertThat(metrics.scrape()).contains("reason=\"evicted\"} 2");
    }

    @Test
    void aRequestAtMaxInstancesWaitsForTheInstanceARefillIsCreating() throws Exception {
        pool(16, Duration.ofHours(1));
        var s = spec("a/f", "c1", Isolation.FRESH, 1, 1);
        byte[] bytes = Wat.compile(COUNTER);
        var compiling = new java.util.concurrent.CountDownLatch(1);
        Supplier<byte[]> slow =
                () -> {
                    try {
                        compiling.await(); // the refill holds its counted instance until released
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return bytes;
                };
        pool.activate(s, slow); // the refill counts one instance and starts creating it
        await(() -> pool.stats(new FunctionName("a", "f")).live() == 1);
        assertThat(pool.stats(new FunctionName("a", "f")).idle()).isZero();

        // Not refused at once (the instance being created is this request's), but not forever.
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> pool.acquire(s, slow, System.nanoTime() + 100_000_000L))
                .isInstanceOfSatisfying(
                        InstanceLimitException.class, e -> assertThat(e.timedOut()).isTrue())
                .hasMessageContaining("no instance became ready in time");
        assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(100_000_000L);

        var waiting =
                new java.util.concurrent.FutureTask<InstancePool.Lease>(
                        () -> pool.acquire(s, slow, System.nanoTime() + 10_000_000_000L));
        Thread waiter = new Thread(waiting, "waiter");
        waiter.start();
        // Parked inside acquire, waiting for the refill's instance: not refused, not served.
        await(
                () ->
                        waiter.getState() == Thread.State.TIMED_WAITING
                                || waiter.getState() == Thread.State.WAITING);
        assertThat(waiting).isNotDone();
        compiling.countDown();
        var lease = waiting.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(lease.startKind()).isEqualTo(StartKind.POOL);
        assertThat(invoke(lease, "x")).isEqualTo("1");
        pool.release(lease);
        assertThat(pool.stats(new FunctionName("a", "f")))
                .isEqualTo(new InstancePool.Stats(1, 0, 1));
    }

    @Test
    void maxInstancesCapsAFunction() {
        pool(16, Duration.ofHours(1));
        var s = spec("a/f", "c1", Isolation.FRESH, 0, 1);
        var held = pool.acquire(s, wasm(COUNTER));
        assertThatThrownBy(() -> pool.acquire(s, wasm(COUNTER)))
                .isInstanceOf(InstanceLimitException.class)
                .hasMessageContaining("maxInstances of 1");
        pool.release(held);
        assertThat(pool.acquire(s, wasm(COUNTER)).startKind()).isEqualTo(StartKind.POOL);
    }

    @Test
    void activatingNewCodeDrainsTheOldPoolWithoutFailingLeases() {
        pool(16, Duration.ofHours(1));
        var v1 = spec("a/f", "c1", Isolation.FRESH, 0, 0);
        var v2 = spec("a/f", "c2", Isolation.FRESH, 0, 0);
        var w = wasm(COUNTER);
        var idle = pool.acquire(v1, w);
        var inFlight = pool.acquire(v1, w);
        pool.release(idle);
        pool.activate(v2, w);
        assertThat(pool.liveInstances()).isEqualTo(1); // the idle one closed at once
        assertThat(invoke(inFlight, "x")).isEqualTo("1"); // the in-flight one still works
        pool.release(inFlight); // and is closed, not pooled
        assertThat(pool.liveInstances()).isZero();
        // A late invocation of the old code is served, and its instance is not kept.
        var late = pool.acquire(v1, w);
        assertThat(invoke(late, "x")).isEqualTo("1");
        pool.release(late);
        assertThat(pool.liveInstances()).isZero();
        assertThat(pool.acquire(v2, w).startKind()).isNotEqualTo(StartKind.POOL);
        assertThat(pool.stats(new FunctionName("a", "f")).leased()).isEqualTo(1);
    }

    @Test
    void retiringAndEvictingFreeInstancesAndCompiledCode() throws Exception {
        pool(16, Duration.ofHours(1));
        var s = spec("a/f", "c1", Isolation.FRESH, 0, 0);
        var w = wasm(COUNTER);
        var l = pool.acquire(s, w);
        pool.release(pool.acquire(s, w));
        assertThat(pool.compiledCount()).isEqualTo(1);
        assertThat(cacheFiles()).isEqualTo(1);
        pool.retire(new FunctionName("a", "f"));
        pool.evict("c1");
        pool.release(l);
        assertThat(pool.liveInstances()).isZero();
        assertThat(pool.compiledCount()).isZero();
        assertThat(cacheFiles()).isZero();
        assertThat(pool.stats(new FunctionName("a", "f")))
                .isEqualTo(new InstancePool.Stats(0, 0, 0));
    }

    private long cacheFiles() throws Exception {
        try (Stream<Path> files = Files.walk(dir.resolve("compiled"))) {
            return files.filter(p -> p.toString().endsWith(".bin")).count();
        }
    }
}
