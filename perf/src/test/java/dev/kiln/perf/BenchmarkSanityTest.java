package dev.kiln.perf;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.abi.Header;
import dev.kiln.host.config.CompileAt;
import dev.kiln.host.core.InvocationOutcome;
import dev.kiln.host.sandbox.ResetStrategy;
import dev.kiln.perf.compute.ComputeBench;
import org.junit.jupiter.api.Test;

/**
 * Each benchmark's set-up and bodies run once as plain Java, so a change that breaks a benchmark
 * fails the build instead of the next perf/jmh run. Nothing is timed; where the real input is slow
 * to prepare, a small one stands in. Not covered: {@code WasiCgiStartBenchmark} (it needs the guest
 * SDKs' builds) and the mains ({@code DensityRun}, {@code CompileRestartProbe}).
 */
class BenchmarkSanityTest {
    @Test
    void abiCodecBenchmarkRoundTripsAndCallsTheHost() {
        var b = new AbiCodecBenchmark();
        b.setUp();
        assertThat(b.headerDecode()).containsExactlyElementsOf(AbiCodecBenchmark.HEADERS);
        assertThat(dev.kiln.abi.HeaderCodec.decode(b.headerEncode()))
                .containsExactlyElementsOf(AbiCodecBenchmark.HEADERS);
        assertThat(b.contextGet()).isEqualTo(26); // a request id is 26 characters
        assertThat(b.typicalHttpInvocation()).isPositive();
        assertThat(AbiCodecBenchmark.HEADERS)
                .contains(new Header("content-type", "application/json"));
    }

    @Test
    void invokeBenchmarkEchoesThroughTheInvoker() throws Exception {
        var b = new InvokeBenchmark();
        b.payloadBytes = 16;
        b.setUp();
        try {
            var viaInvoke = b.invokeTrigger();
            var viaHttp = b.httpTrigger();
            assertThat(viaInvoke.outcome()).isInstanceOf(InvocationOutcome.Ok.class);
            assertThat(((InvocationOutcome.Ok) viaInvoke.outcome()).body()).hasSize(16);
            assertThat(((InvocationOutcome.Ok) viaHttp.outcome()).body()).hasSize(16);
        } finally {
            b.tearDown();
        }
    }

    @Test
    void poolBenchmarkResetsAndReleasesEveryLease() throws Exception {
        var b = new PoolBenchmark();
        b.strategy = ResetStrategy.COPY_ON_WRITE;
        b.dirtyChunks = 16;
        b.setUp();
        try {
            var held = new PoolBenchmark.Held();
            held.dirty(b);
            assertThat(b.acquireReset(held)).isNotNull();
            held.giveBack(b);
            assertThat(b.invokeFresh().outcome()).isInstanceOf(InvocationOutcome.Ok.class);
            assertThat(b.invokeReuse().outcome()).isInstanceOf(InvocationOutcome.Ok.class);
        } finally {
            b.tearDown();
        }
    }

    @Test
    void startBenchmarkInstantiatesCompilesAndReloads() throws Exception {
        var b = new StartBenchmark();
        b.strategy = ResetStrategy.COPY_ON_WRITE;
        b.largeBytes = 16 * 1024; // the benchmark's 1 MB module takes seconds to compile
        b.setUpImage();
        b.setUpLarge();
        assertThat(b.instantiate()).isNotNull();
        b.emptyCache();
        try {
            assertThat(b.compileLarge().loadedFromDiskCache()).isFalse();
        } finally {
            b.dropCache();
        }
        assertThat(b.reloadLarge().loadedFromDiskCache()).isTrue();
    }

    @Test
    void firstRequestBenchmarkUploadsAndInvokesOverHttp() throws Exception {
        var host = new FirstRequestBenchmark.Host();
        host.compileAt = CompileAt.UPLOAD;
        host.start();
        try {
            var b = new FirstRequestBenchmark();
            var uploaded = new FirstRequestBenchmark.Uploaded();
            uploaded.upload(host);
            assertThat(b.firstInvoke(host, uploaded)).isEqualTo(200);
            assertThat(b.uploadAndFirstInvoke(host)).isEqualTo(200);
            var invoked = new FirstRequestBenchmark.Invoked();
            invoked.uploadAndInvoke(host);
            assertThat(b.secondInvoke(host, invoked)).isEqualTo(200);
        } finally {
            host.stop();
        }
    }

    @Test
    void memoryAccessBenchmarkRunsEachWorkloadOnEachMemory() throws Exception {
        // The benchmark reads perf/workloads relative to the repository; tests run in perf/.
        System.setProperty("kiln.workloads", "workloads");
        for (String workload : new String[] {"sort", "sha256"}) {
            for (String memory : new String[] {"chicory", "kiln-reuse", "kiln-fresh"}) {
                var b = new MemoryAccessBenchmark();
                b.workload = workload;
                b.memory = memory;
                b.setUp();
                // Twice: a fresh instance must give the same answer after its reset. run()
                // throws when the guest fails or cannot be reset.
                long first = b.run();
                assertThat(b.run()).as(workload + " on " + memory).isEqualTo(first);
                if (!memory.equals("chicory")) {
                    assertThat(first).as("response bytes of " + workload).isPositive();
                }
            }
        }
    }

    @Test
    void fuelOverheadBenchmarkGivesTheKnownAnswersPlainMeteredAndAsKilnRunsIt() throws Exception {
        for (var workload : ComputeBench.WORKLOADS) {
            for (String variant : new String[] {"plain", "metered", "kiln"}) {
                var b = new FuelOverheadBenchmark();
                b.workload = workload.name();
                b.variant = variant;
                b.setUp();
                assertThat(b.run())
                        .as(workload.name() + " " + variant)
                        .isEqualTo(Long.parseLong(workload.expected()));
            }
        }
    }

    @Test
    void kvBenchmarkReadsWritesAndCountsOnARealStore() throws Exception {
        var b = new KvBenchmark();
        b.keys = 10;
        b.valueBytes = 100;
        b.setUp();
        try {
            assertThat(b.get()).as("a key the setup wrote").isNotNull();
            assertThat(b.getContended()).isNotNull();
            b.set();
            b.setContended();
            long first = b.increment();
            assertThat(b.incrementContended()).isEqualTo(first + 1);
            assertThat(b.increment()).isEqualTo(first + 2);
        } finally {
            b.tearDown();
        }
    }

    @Test
    void recordingBenchmarkRecordsOnlyWhatItsSettingSays() throws Exception {
        for (String mode : java.util.List.of("none", "failures", "all")) {
            var b = new RecordingBenchmark();
            b.record = mode;
            b.payloadBytes = 16;
            b.setUp();
            try {
                for (int i = 0; i < 3; i++) {
                    var r = b.echo();
                    assertThat(r.outcome()).isInstanceOf(InvocationOutcome.Ok.class);
                    assertThat(((InvocationOutcome.Ok) r.outcome()).body()).hasSize(16);
                }
                // The setup's check invocation and the three above; successes only.
                assertThat(b.recordingsWritten()).as(mode).isEqualTo(mode.equals("all") ? 4 : 0);
            } finally {
                b.tearDown();
            }
        }
    }

    @Test
    void outboundBenchmarkFetchesFromALoopbackServerBothWays() throws Exception {
        var b = new OutboundBenchmark();
        b.responseBytes = 100;
        b.setUp();
        try {
            assertThat(b.guestCall()).isEqualTo(100);
            assertThat(b.hostCall()).isEqualTo(100);
            assertThat(b.guestNoCall()).isZero();
        } finally {
            b.tearDown();
        }
    }

    /**
     * The benchmarks the tests above run, by class and method; the rest are named in the class
     * comment. A new {@code @Benchmark} fails here until a test runs it or it is listed as not
     * covered, so this test always says what it checks.
     */
    static final java.util.Set<String> RUN_ABOVE =
            java.util.Set.of(
                    "AbiCodecBenchmark.headerEncode",
                    "AbiCodecBenchmark.headerDecode",
                    "AbiCodecBenchmark.contextGet",
                    "AbiCodecBenchmark.typicalHttpInvocation",
                    "InvokeBenchmark.invokeTrigger",
                    "InvokeBenchmark.httpTrigger",
                    "PoolBenchmark.acquireReset",
                    "PoolBenchmark.invokeFresh",
                    "PoolBenchmark.invokeReuse",
                    "StartBenchmark.instantiate",
                    "StartBenchmark.compileLarge",
                    "StartBenchmark.reloadLarge",
                    "FirstRequestBenchmark.firstInvoke",
                    "FirstRequestBenchmark.uploadAndFirstInvoke",
                    "FirstRequestBenchmark.secondInvoke",
                    "MemoryAccessBenchmark.run",
                    "FuelOverheadBenchmark.run",
                    "KvBenchmark.get",
                    "KvBenchmark.set",
                    "KvBenchmark.increment",
                    "KvBenchmark.getContended",
                    "KvBenchmark.setContended",
                    "KvBenchmark.incrementContended",
                    "OutboundBenchmark.guestCall",
                    "OutboundBenchmark.guestNoCall",
                    "OutboundBenchmark.hostCall",
                    "RecordingBenchmark.echo");

    static final java.util.Set<String> NOT_COVERED =
            java.util.Set.of("WasiCgiStartBenchmark.hello");

    @Test
    void observabilityOverheadProbeLoadsBothHostsWithSpansAndAFollowerOnOne() throws Exception {
        var off = ObservabilityOverheadProbe.Side.start("off", null, 1.0, 0);
        try (var sink = ObservabilityOverheadProbe.Sink.start()) {
            var on = ObservabilityOverheadProbe.Side.start("on", sink, 1.0, 0);
            var follower = ObservabilityOverheadProbe.Follower.attach(on);
            try {
                assertThat(off.round(1, 1)).isPositive();
                assertThat(on.round(1, 1)).isPositive();
                assertThat(off.errors).isZero();
                assertThat(on.errors).isZero();
                long deadline = System.nanoTime() + java.time.Duration.ofSeconds(20).toNanos();
                while (follower.bytes.get() == 0 && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertThat(follower.bytes.get()).as("log lines streamed").isPositive();
            } finally {
                follower.close();
                on.close(); // flushes the spans still queued
            }
            assertThat(sink.requests.get()).as("OTLP exports received").isPositive();
        } finally {
            off.close();
        }
    }

    @Test
    void everyBenchmarkIsRunAboveOrNamedAsNotCovered() throws Exception {
        java.nio.file.Path classes =
                java.nio.file.Path.of(
                        AbiCodecBenchmark.class
                                .getProtectionDomain()
                                .getCodeSource()
                                .getLocation()
                                .toURI());
        java.util.Set<String> found = new java.util.TreeSet<>();
        try (var files = java.nio.file.Files.walk(classes)) {
            for (var f : files.filter(x -> x.toString().endsWith(".class")).toList()) {
                String name =
                        classes.relativize(f).toString().replace('/', '.').replace(".class", "");
                Class<?> c = Class.forName(name, false, getClass().getClassLoader());
                for (var m : c.getDeclaredMethods()) {
                    if (m.isAnnotationPresent(org.openjdk.jmh.annotations.Benchmark.class)) {
                        found.add(c.getSimpleName() + "." + m.getName());
                    }
                }
            }
        }
        java.util.Set<String> declared = new java.util.TreeSet<>(RUN_ABOVE);
        declared.addAll(NOT_COVERED);
        assertThat(found).isEqualTo(declared);
    }
}
