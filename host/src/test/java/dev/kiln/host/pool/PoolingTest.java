package dev.kiln.host.pool;

import static dev.kiln.host.testing.TestHost.errorCode;
import static dev.kiln.host.testing.TestHost.startKind;
import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.config.CompileAt;
import dev.kiln.host.core.FunctionName;
import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pools through the HTTP surface: isolation, start kinds, queueing, updates, deletes. */
class PoolingTest {
    static final int THREADS = 16;
    static final int CALLS = 50;

    @TempDir Path data;

    private static void await(BooleanSupplier condition) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() - until).as("condition not met in time").isNegative();
            Thread.sleep(5);
        }
    }

    /** Runs {@code THREADS × CALLS} invocations at once and returns every answer. */
    private static List<HttpResponse<byte[]>> hammer(TestHost kiln, String fn) throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<List<HttpResponse<byte[]>>>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                futures.add(
                        clients.submit(
                                () -> {
                                    List<HttpResponse<byte[]>> out = new ArrayList<>();
                                    for (int i = 0; i < CALLS; i++) {
                                        out.add(kiln.invoke("p", fn, "x"));
                                    }
                                    return out;
                                }));
            }
            List<HttpResponse<byte[]>> all = new ArrayList<>();
            for (var f : futures) {
                all.addAll(f.get());
            }
            return all;
        } finally {
            clients.shutdownNow();
        }
    }

    @Test
    void freshIsolationUnderConcurrencyAlwaysSeesTheSnapshot() throws Exception {
        TestHost kiln = TestHost.start(data, b -> b.queueWait(Duration.ofSeconds(60)));
        try (kiln) {
            kiln.deploy("p", "counter", Wat.fixture("counter"));
            Map<String, Integer> starts = new ConcurrentHashMap<>();
            for (var r : hammer(kiln, "counter")) {
                // A trap here would mean two invocations shared an instance at once.
                assertThat(r.statusCode() + " " + text(r)).isEqualTo("200 1,1");
                starts.merge(startKind(r), 1, Integer::sum);
            }
            assertThat(starts.getOrDefault("pool", 0)).isGreaterThan(THREADS * CALLS / 2);
            assertThat(starts).doesNotContainKey("cold");
        }
        assertThat(kiln.host().leakedInstances()).isEmpty();
    }

    @Test
    void reuseCountsUpPerInstanceAndNeverSharesOne() throws Exception {
        TestHost kiln = TestHost.start(data, b -> b.queueWait(Duration.ofSeconds(60)));
        try (kiln) {
            kiln.deploy("p", "tally", Wat.fixture("tally"));
            assertThat(kiln.patch("p", "tally", "{\"isolation\":\"reuse\"}").statusCode())
                    .isEqualTo(200);
            Map<String, Set<Integer>> countsById = new HashMap<>();
            int total = 0;
            for (var r : hammer(kiln, "tally")) {
                assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
                String[] idAndCount = text(r).split(":", -1);
                boolean fresh =
                        countsById
                                .computeIfAbsent(idAndCount[0], k -> new TreeSet<>())
                                .add(Integer.parseInt(idAndCount[1]));
                assertThat(fresh).as("count seen twice on one instance: " + text(r)).isTrue();
                total++;
            }
            // Each instance answered 1, 2, …, n: its state carried over, one call at a time.
            for (Set<Integer> counts : countsById.values()) {
                assertThat(counts).startsWith(1).hasSize(((TreeSet<Integer>) counts).last());
            }
            assertThat(countsById.size()).isLessThan(total / 4); // instances were reused
        }
        assertThat(kiln.host().leakedInstances()).isEmpty();
    }

    @Test
    void freshIsolationDrawsANewIdEveryCall() {
        try (TestHost kiln = TestHost.start(data)) {
            kiln.deploy("p", "tally", Wat.fixture("tally"));
            Set<String> ids = new TreeSet<>();
            for (int i = 0; i < 5; i++) {
                var r = kiln.invoke("p", "tally", "x");
                assertThat(text(r)).endsWith(":1");
                ids.add(text(r));
                assertThat(startKind(r)).isEqualTo("pool");
            }
            assertThat(ids).hasSize(5);
        }
    }

    @Test
    void startKindsWhenCompilingAtFirstUse() throws Exception {
        try (TestHost kiln = TestHost.start(data, b -> b.compileAt(CompileAt.FIRST_USE))) {
            assertThat(kiln.deploy("p", "sleepy", Wat.fixture("sleepy")).statusCode())
                    .isEqualTo(201);
            assertThat(startKind(kiln.invoke("p", "sleepy", ""))).isEqualTo("cold");
            assertThat(startKind(kiln.invoke("p", "sleepy", ""))).isEqualTo("pool");
            ExecutorService other = Executors.newSingleThreadExecutor();
            try {
                var busy = other.submit(() -> kiln.invoke("p", "sleepy", "2000"));
                // The only instance is busy: the next one is made now.
                await(
                        () ->
                                kiln.host().pool().stats(new FunctionName("p", "sleepy")).leased()
                                        == 1);
                assertThat(startKind(kiln.invoke("p", "sleepy", ""))).isEqualTo("warm");
                assertThat(startKind(busy.get())).isEqualTo("pool");
            } finally {
                other.shutdownNow();
            }
            // Records carry the start kind too.
            kiln.host().flushRecords();
            var records =
                    TestHost.json(kiln.get("/api/v1/services/p/functions/sleepy/invocations"));
            List<String> kinds = new ArrayList<>();
            records.path("invocations").forEach(n -> kinds.add(n.path("start").asText()));
            assertThat(kinds).contains("cold", "pool", "warm");
            String metrics = text(kiln.get("/metrics"));
            assertThat(metrics)
                    .contains(
                            "kiln_invocation_starts_total{service=\"p\",function=\"sleepy\","
                                    + "start=\"cold\"} 1");
        }
    }

    /** A gauge or counter's value in the host's metrics (0 when the series is absent). */
    private static double metric(TestHost kiln, String series) {
        for (String line : kiln.host().metrics().scrape().lines().toList()) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1));
            }
        }
        return 0;
    }

    @Test
    void oneContentHashIsCompiledOnceAcrossFunctionsAndConcurrentFirstUses(@TempDir Path other)
            throws Exception {
        String compiled = "kiln_compilations_total{source=\"compiled\"}";
        try (TestHost kiln = TestHost.start(data)) {
            kiln.deploy("p", "a", Wat.fixture("echo"));
            kiln.deploy("p", "b", Wat.fixture("echo")); // same module: finds the code
            assertThat(metric(kiln, compiled)).isEqualTo(1);
            assertThat(kiln.host().pool().compiledCount()).isEqualTo(1);
        }
        try (TestHost kiln = TestHost.start(other, b -> b.compileAt(CompileAt.FIRST_USE))) {
            kiln.deploy("p", "a", Wat.fixture("echo"));
            kiln.deploy("p", "b", Wat.fixture("echo"));
            assertThat(metric(kiln, compiled)).isZero();
            // First uses of both functions at once: one compilation, the others wait for it.
            ExecutorService clients = Executors.newFixedThreadPool(THREADS);
            try {
                var go = new java.util.concurrent.CountDownLatch(1);
                List<Future<HttpResponse<byte[]>>> answers = new ArrayList<>();
                for (int i = 0; i < THREADS; i++) {
                    String fn = i % 2 == 0 ? "a" : "b";
                    answers.add(
                            clients.submit(
                                    () -> {
                                        go.await();
                                        return kiln.invoke("p", fn, "hi");
                                    }));
                }
                go.countDown();
                Map<String, Integer> starts = new TreeMap<>();
                for (var f : answers) {
                    assertThat(f.get().statusCode()).as(text(f.get())).isEqualTo(200);
                    starts.merge(startKind(f.get()), 1, Integer::sum);
                }
                assertThat(starts).containsEntry("cold", 1);
            } finally {
                clients.shutdownNow();
            }
            assertThat(metric(kiln, compiled)).isEqualTo(1);
            assertThat(metric(kiln, "kiln_compilations_total{source=\"disk\"}")).isZero();
            assertThat(kiln.host().pool().compiledCount()).isEqualTo(1);
        }
    }

    @Test
    void overTheConcurrencyLimitInvocationsQueueThenGetOverloaded() throws Exception {
        try (TestHost kiln =
                TestHost.start(data, b -> b.queueWait(Duration.ofSeconds(4)).functionQueue(1))) {
            kiln.deploy("p", "sleepy", Wat.fixture("sleepy"));
            kiln.patch("p", "sleepy", "{\"maxConcurrency\":1,\"fuel\":1000000000000}");
            ExecutorService clients = Executors.newFixedThreadPool(3);
            try {
                var first = clients.submit(() -> kiln.invoke("p", "sleepy", "1500"));
                await(
                        () ->
                                kiln.host().pool().stats(new FunctionName("p", "sleepy")).leased()
                                        == 1);
                // Waits in the queue until the first finishes, then runs.
                var queued = clients.submit(() -> kiln.invoke("p", "sleepy", "8000"));
                await(() -> metric(kiln, "kiln_invocations_waiting") == 1);
                // The queue (length 1) is full: refused at once, not after queueWait.
                long t0 = System.nanoTime();
                var full = kiln.invoke("p", "sleepy", "0");
                assertThat(full.statusCode()).isEqualTo(429);
                assertThat(errorCode(full)).isEqualTo("overloaded");
                assertThat(full.headers().firstValue("Retry-After")).isPresent();
                assertThat(TestHost.json(full).path("error").path("message").asText())
                        .contains("1 invocations are waiting");
                assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(3900);
                assertThat(first.get().statusCode()).as(text(first.get())).isEqualTo(200);
                // The queued one got the slot and now holds it for 8 s: a waiter gives up
                // after queueWait.
                await(() -> metric(kiln, "kiln_invocations_waiting") == 0);
                t0 = System.nanoTime();
                var timedOut = kiln.invoke("p", "sleepy", "0");
                long waitedMs = (System.nanoTime() - t0) / 1_000_000;
                assertThat(timedOut.statusCode()).isEqualTo(429);
                assertThat(TestHost.json(timedOut).path("error").path("message").asText())
                        .contains("no slot freed within 4000 ms");
                assertThat(waitedMs).isBetween(3900L, 7900L);
                assertThat(queued.get().statusCode()).as(text(queued.get())).isEqualTo(200);
            } finally {
                clients.shutdownNow();
            }
            // The host still serves, and counted why it refused.
            assertThat(kiln.invoke("p", "sleepy", "0").statusCode()).isEqualTo(200);
            String metrics = text(kiln.get("/metrics"));
            assertThat(metrics).contains("reason=\"queue_full\"} 1", "reason=\"queue_timeout\"} 1");
        }
    }

    @Test
    void anUpdateDrainsTheOldVersionWithoutFailingInFlightCalls() throws Exception {
        try (TestHost kiln = TestHost.start(data)) {
            byte[] v1 = Wat.fixture("sleepy");
            byte[] v2 =
                    Wat.compile(
                            new String(
                                            getClass()
                                                    .getResourceAsStream("/wat/sleepy.wat")
                                                    .readAllBytes(),
                                            StandardCharsets.UTF_8)
                                    .replace("\"v1\"", "\"v2\""));
            kiln.deploy("p", "f", v1);
            ExecutorService clients = Executors.newFixedThreadPool(4);
            try {
                List<Future<HttpResponse<byte[]>>> inFlight = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    inFlight.add(clients.submit(() -> kiln.invoke("p", "f", "400")));
                }
                await(() -> kiln.host().pool().stats(new FunctionName("p", "f")).leased() == 4);
                assertThat(kiln.deploy("p", "f", v2).statusCode()).isEqualTo(200);
                for (var f : inFlight) {
                    assertThat(f.get().statusCode()).as(text(f.get())).isEqualTo(200);
                    assertThat(text(f.get())).isEqualTo("v1");
                }
            } finally {
                clients.shutdownNow();
            }
            var after = kiln.invoke("p", "f", "");
            assertThat(text(after)).isEqualTo("v2");
            assertThat(startKind(after)).isEqualTo("pool"); // the upload's checked instance
            // The old version's instances are gone; only the new one is kept.
            assertThat(kiln.host().pool().stats(new FunctionName("p", "f")).live()).isEqualTo(1);
            assertThat(kiln.host().pool().liveInstances()).isEqualTo(1);
            assertThat(kiln.host().pool().compiledCount()).isEqualTo(1);
        }
    }

    @Test
    void minInstancesAreWarmBeforeTrafficAndAfterARestart() throws Exception {
        try (TestHost kiln = TestHost.start(data)) {
            kiln.deploy("p", "f", Wat.fixture("sleepy"));
            assertThat(kiln.patch("p", "f", "{\"minInstances\":3}").statusCode()).isEqualTo(200);
            assertThat(kiln.host().pool().stats(new FunctionName("p", "f")).idle()).isEqualTo(3);
            // A new version is warmed before it is stored: ready as soon as the PUT answers.
            byte[] v2 =
                    Wat.compile(
                            new String(
                                            getClass()
                                                    .getResourceAsStream("/wat/sleepy.wat")
                                                    .readAllBytes(),
                                            StandardCharsets.UTF_8)
                                    .replace("\"v1\"", "\"v2\""));
            kiln.deploy("p", "f", v2);
            assertThat(kiln.host().pool().stats(new FunctionName("p", "f")).idle())
                    .isGreaterThanOrEqualTo(3);
            assertThat(startKind(kiln.invoke("p", "f", ""))).isEqualTo("pool");
        }
        try (TestHost kiln = TestHost.start(data)) {
            // After a restart the minimum comes back in the background, from the disk cache.
            await(() -> kiln.host().pool().stats(new FunctionName("p", "f")).idle() == 3);
            var r = kiln.invoke("p", "f", "");
            assertThat(text(r)).isEqualTo("v2");
            assertThat(startKind(r)).isEqualTo("pool");
            assertThat(text(kiln.get("/metrics")))
                    .contains("kiln_compilations_total{source=\"disk\"} 1");
        }
    }

    @Test
    void deletingAFunctionFreesItsInstancesAndCode() {
        try (TestHost kiln = TestHost.start(data)) {
            kiln.deploy("p", "f", Wat.fixture("counter"));
            kiln.deploy("p", "g", Wat.fixture("echo"));
            kiln.invoke("p", "f", "");
            assertThat(kiln.host().pool().compiledCount()).isEqualTo(2);
            var deleted = kiln.send(kiln.admin("/api/v1/services/p/functions/f").DELETE().build());
            assertThat(deleted.statusCode()).isEqualTo(204);
            assertThat(kiln.host().pool().stats(new FunctionName("p", "f")).live()).isZero();
            assertThat(kiln.host().pool().liveInstances()).isEqualTo(1);
            assertThat(kiln.host().pool().compiledCount()).isEqualTo(1);
            assertThat(kiln.invoke("p", "g", "hi").statusCode()).isEqualTo(200);
            // Its metric series went too; the other function's stay.
            String metrics = text(kiln.get("/metrics"));
            assertThat(metrics).doesNotContain("function=\"f\"").contains("function=\"g\"");
            // Created again under the same name: its checked instance serves at once.
            kiln.deploy("p", "f", Wat.fixture("counter"));
            assertThat(startKind(kiln.invoke("p", "f", ""))).isEqualTo("pool");
        }
    }

    /** Two handlers answering "a" and "b"; {@code tag} makes modules with distinct hashes. */
    private static byte[] twoHandlers(String tag) {
        return Wat.compile(
                """
                (module
                  (memory (export "memory") 1)
                  (data (i32.const 2048) "ab%s")
                  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
                  (func (export "kiln_handle") (param i32 i32) (result i64)
                    (i64.or (i64.shl (i64.const 2048) (i64.const 32)) (i64.const 1)))
                  (func (export "other") (param i32 i32) (result i64)
                    (i64.or (i64.shl (i64.const 2049) (i64.const 32)) (i64.const 1))))
                """
                        .formatted(tag));
    }

    private static long diskCacheEntries(Path data) throws java.io.IOException {
        try (var files = java.nio.file.Files.walk(data.resolve("compiled"))) {
            return files.filter(p -> p.toString().endsWith(".bin")).count();
        }
    }

    @Test
    void aPatchThatChangesTheCodeKeyLetsUnusedCodeGo() throws Exception {
        try (TestHost kiln = TestHost.start(data)) {
            var pool = kiln.host().pool();
            kiln.deploy("p", "f", twoHandlers("1"));
            assertThat(pool.compiledCount()).isEqualTo(1);
            assertThat(kiln.patch("p", "f", "{\"handler\":\"other\"}").statusCode()).isEqualTo(200);
            assertThat(text(kiln.invoke("p", "f", ""))).isEqualTo("b");
            assertThat(pool.compiledCount()).as("old handler's code").isEqualTo(1);
            assertThat(kiln.patch("p", "f", "{\"memoryMiB\":32}").statusCode()).isEqualTo(200);
            assertThat(pool.compiledCount()).as("old memory cap's code").isEqualTo(1);
            // The disk cache entry is per content hash: still used, so still there.
            assertThat(diskCacheEntries(data)).isEqualTo(1);

            // Two functions share one key: the code stays until neither uses it.
            kiln.deploy("p", "g", twoHandlers("2"));
            kiln.deploy("p", "h", twoHandlers("2"));
            assertThat(pool.compiledCount()).isEqualTo(2);
            kiln.patch("p", "g", "{\"handler\":\"other\"}");
            assertThat(pool.compiledCount()).as("h still runs the old key").isEqualTo(3);
            kiln.patch("p", "h", "{\"handler\":\"other\"}");
            assertThat(pool.compiledCount()).isEqualTo(2);
            assertThat(text(kiln.invoke("p", "h", ""))).isEqualTo("b");
            // f, g and h differ only in data: one compilation of their code on disk (ADR 0052).
            assertThat(diskCacheEntries(data)).isEqualTo(1);

            // A setting that does not change the code keeps it.
            kiln.patch("p", "h", "{\"timeoutMs\":2000}");
            assertThat(pool.compiledCount()).isEqualTo(2);
            // The last user of a hash gone: its memory let go, the disk entry kept for the
            // others with the same code; gone with the last of them.
            kiln.send(kiln.admin("/api/v1/services/p/functions/f").DELETE().build());
            assertThat(pool.compiledCount()).isEqualTo(1);
            assertThat(diskCacheEntries(data)).isEqualTo(1);
            kiln.send(kiln.admin("/api/v1/services/p/functions/g").DELETE().build());
            kiln.send(kiln.admin("/api/v1/services/p/functions/h").DELETE().build());
            assertThat(pool.compiledCount()).isZero();
            assertThat(diskCacheEntries(data)).isZero();
        }
    }

    @Test
    void anUploadRefusedAfterItsCheckLeavesNoInstanceBehind() {
        try (TestHost kiln = TestHost.start(data)) {
            // The name is only refused when the registry stores the function, after the module
            // was checked (and its instance staged in a pool).
            var r = kiln.deploy("p", "Not-A-Valid-Name", Wat.fixture("echo"));
            assertThat(r.statusCode()).isEqualTo(400);
            assertThat(kiln.host().pool().liveInstances()).isZero();
            assertThat(kiln.deploy("p", "ok", Wat.fixture("echo")).statusCode()).isEqualTo(201);
            assertThat(kiln.host().pool().liveInstances()).isEqualTo(1);
        }
    }

    @Test
    void anInstanceWhoseMemoryGrewIsResetAndReused() {
        try (TestHost kiln = TestHost.start(data)) {
            kiln.deploy("p", "grows", Wat.fixture("grows"));
            for (int i = 0; i < 5; i++) {
                var r = kiln.invoke("p", "grows", "");
                assertThat(text(r)).isEqualTo("2");
                assertThat(startKind(r)).isEqualTo("pool");
            }
        }
    }

    @Test
    void aTrappedInstanceIsNeverReused() {
        try (TestHost kiln = TestHost.start(data)) {
            kiln.deploy("p", "orders", Wat.fixture("order_summary"));
            var ok = kiln.invoke("p", "orders", "{\"orderId\":\"A\"}");
            assertThat(startKind(ok)).isEqualTo("pool");
            var failed = kiln.invoke("p", "orders", "{}");
            assertThat(failed.statusCode()).isEqualTo(500);
            // The failed instance was dropped; the pool had only that one, so this one is new.
            var next = kiln.invoke("p", "orders", "{\"orderId\":\"B\"}");
            assertThat(startKind(next)).isEqualTo("warm");
            assertThat(text(next)).contains("\"B\"");
        }
    }

    /**
     * Traps when the payload starts with "t", else answers "ok"; its start function spins for a
     * while, so creating an instance takes long enough for requests to arrive meanwhile.
     */
    static final String SLOW_START =
            """
            (module
              (memory (export "memory") 1)
              (data (i32.const 2048) "ok")
              (func $spin (local $i i32)
                (loop $l
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (br_if $l (i32.lt_u (local.get $i) (i32.const 20000000)))))
              (start $spin)
              (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
              (func (export "kiln_handle") (param $p i32) (param $len i32) (result i64)
                (if (i32.eq (i32.load8_u (local.get $p)) (i32.const 116)) (then unreachable))
                (i64.or (i64.shl (i64.const 2048) (i64.const 32)) (i64.const 2))))
            """;

    @Test
    void aCallWithinTheLimitWaitsForTheRefillInsteadOfBeingRefused() {
        try (TestHost kiln = TestHost.start(data)) {
            kiln.deploy("p", "f", Wat.compile(SLOW_START));
            var patched = kiln.patch("p", "f", "{\"minInstances\":1,\"maxInstances\":1}");
            assertThat(patched.statusCode()).as(text(patched)).isEqualTo(200);
            for (int i = 0; i < 10; i++) {
                // The trapped instance is dropped and the refill starts creating the only one
                // maxInstances allows; the next call, within the concurrency limit of 1, must
                // get that instance (or make it), never an instant 429.
                assertThat(kiln.invoke("p", "f", "trap").statusCode()).isEqualTo(500);
                var next = kiln.invoke("p", "f", "x");
                assertThat(next.statusCode() + " " + text(next)).isEqualTo("200 ok");
            }
            assertThat(text(kiln.get("/metrics"))).doesNotContain("kiln_overloaded_total{");
        }
    }

    @Test
    void badPoolSettingsAreRefusedAndTheHostKeepsServing() {
        try (TestHost kiln = TestHost.start(data, b -> b.maxInstances(20).workerThreads(4))) {
            kiln.deploy("p", "f", Wat.fixture("echo"));
            for (String bad :
                    List.of(
                            "{\"isolation\":\"shared\"}",
                            "{\"isolation\":7}",
                            "{\"minInstances\":-1}",
                            "{\"maxInstances\":21}",
                            "{\"minInstances\":3,\"maxInstances\":2}",
                            "{\"minInstances\":\"many\"}",
                            "{\"minInstances\":17}")) {
                var r = kiln.patch("p", "f", bad);
                assertThat(r.statusCode()).as(bad + " → " + text(r)).isEqualTo(400);
                assertThat(errorCode(r)).isEqualTo("bad_request");
            }
            // 16 = 20 instances minus one per worker: the most all functions may keep warm.
            assertThat(kiln.patch("p", "f", "{\"minInstances\":16}").statusCode()).isEqualTo(200);
            kiln.deploy("p", "g", Wat.fixture("echo"));
            var r = kiln.patch("p", "g", "{\"minInstances\":1}");
            assertThat(r.statusCode()).isEqualTo(400);
            assertThat(text(r)).contains("other functions keep 16");
            assertThat(kiln.invoke("p", "g", "still here").statusCode()).isEqualTo(200);
            // wasi-cgi starts every request from its state as instantiated: no state to reuse
            // (ADR 0066).
            deployCommand(kiln, "cgi", Wat.fixture("wasi/hello"));
            var refused = kiln.patch("p", "cgi", "{\"isolation\":\"reuse\"}");
            assertThat(refused.statusCode()).as(text(refused)).isEqualTo(400);
            assertThat(text(refused)).contains("kiln ABI only");
        }
    }

    /** Deploys {@code wasm} as the wasi-cgi function {@code p/<function>}. */
    private static void deployCommand(TestHost kiln, String function, byte[] wasm) {
        var r = dev.kiln.host.testing.WasiCgiUpload.deploy(kiln, "p", function, wasm);
        assertThat(r.statusCode()).as(text(r)).isEqualTo(201);
    }

    /** A wasi-cgi command with a start function (which counts its runs) and a plain reply. */
    private static final String STARTED_COMMAND =
            """
            (module
              (import "wasi_snapshot_preview1" "fd_write"
                (func $fd_write (param i32 i32 i32 i32) (result i32)))
              (memory (export "memory") 1)
              (global $starts (mut i32) (i32.const 0))
              (data (i32.const 64) "Content-Type: text/plain\\n\\nok")
              (func $init (global.set $starts (i32.add (global.get $starts) (i32.const 1))))
              (start $init)
              (func (export "_start")
                (i32.store (i32.const 0) (i32.const 64))
                (i32.store (i32.const 4) (i32.const 28))
                (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
            """;

    /** A pooled wasi-cgi command keeps minInstances warm like a kiln module (ADR 0066). */
    @Test
    void wasiCgiCommandsKeepMinInstancesUnlessTheyHaveAStartFunction() throws Exception {
        FunctionName cgi = new FunctionName("p", "cgi");
        try (TestHost kiln = TestHost.start(data)) {
            deployCommand(kiln, "cgi", Wat.fixture("wasi/hello"));
            var patched = kiln.patch("p", "cgi", "{\"minInstances\":3}");
            assertThat(patched.statusCode()).as(text(patched)).isEqualTo(200);
            assertThat(kiln.host().pool().stats(cgi).idle()).isEqualTo(3);
            for (int i = 0; i < 4; i++) {
                var r = kiln.send(kiln.request("/fn/p/cgi/").GET().build());
                assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
                assertThat(startKind(r)).isEqualTo("pool");
            }
            // A start function would run once per pooled instance, outside any request: such a
            // command gets a new instance per invocation, and nothing to keep warm.
            deployCommand(kiln, "started", Wat.compile(STARTED_COMMAND));
            var refused = kiln.patch("p", "started", "{\"minInstances\":1}");
            assertThat(refused.statusCode()).as(text(refused)).isEqualTo(400);
            assertThat(errorCode(refused)).isEqualTo("bad_request");
            assertThat(text(refused)).contains("start function");
            assertThat(kiln.send(kiln.request("/fn/p/started/").GET().build()).statusCode())
                    .isEqualTo(200);
        }
        try (TestHost kiln = TestHost.start(data)) {
            // After a restart the minimum comes back in the background, as for kiln modules.
            await(() -> kiln.host().pool().stats(cgi).idle() == 3);
            assertThat(startKind(kiln.send(kiln.request("/fn/p/cgi/").GET().build())))
                    .isEqualTo("pool");
        }
    }

    @Test
    void metricsNeedTheAdminToken() {
        try (TestHost kiln = TestHost.start(data)) {
            var r = kiln.send(kiln.request("/metrics").GET().build());
            assertThat(r.statusCode()).isEqualTo(401);
            var ok = kiln.get("/metrics");
            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(ok.headers().firstValue("Content-Type").orElse(""))
                    .startsWith("text/plain; version=0.0.4");
            assertThat(text(ok))
                    .contains("# TYPE kiln_instances gauge", "kiln_instances_limit 4096");
        }
    }
}
