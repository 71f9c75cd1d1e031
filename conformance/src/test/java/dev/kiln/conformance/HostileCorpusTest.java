package dev.kiln.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.KilnHost;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hostile corpus ({@code limits/} and {@code errors/}) against one in-process host: every case
 * gets its expected error, and afterwards the host serves an echo as fast as before and holds no
 * more heap than before.
 *
 * <p>The corpus runs twice. The first pass loads classes and fills one-time caches (of the host and
 * of this JVM's runner, which shares the heap); the baseline is taken after it, so the second pass
 * shows whether hostile guests leave anything behind. Latency is compared within this run, with a
 * generous bound: the machine may be busy, and speed goals belong in perf/.
 */
@Tag("slow") // the hostile corpus
class HostileCorpusTest {
    static final int LATENCY_SAMPLES = 400;

    @Test
    void theHostSurvivesTheCorpusAtNormalLatencyAndHeap(@TempDir Path data) throws Exception {
        ConformanceSuite corpus =
                ConformanceSuite.load(ConformanceTest.CASES, null)
                        .areas(ConformanceTest.HOSTILE, true);
        try (KilnHost host = KilnHost.start(ConformanceTest.config(data))) {
            URI target = ConformanceTest.uri(host);
            var client = new KilnClient(target, ConformanceTest.TOKEN);
            String echo = KilnClient.functionPath("baseline", "echo");
            byte[] wasm =
                    ModuleFiles.load(
                            ConformanceTest.CASES.resolve("_shared/echo.wat"), v -> v.asLong());
            var deployed =
                    client.send(
                            "PUT", echo, Map.of("Content-Type", "application/wasm"), wasm, true);
            assertThat(deployed.statusCode()).isEqualTo(201);

            long heapAtStart = heapAfterGc();
            Report first = corpus.run(target, ConformanceTest.TOKEN, 4);
            ConformanceTest.assertAllPassed(first, corpus);
            host.flushRecords();
            long[] before = echoLatencies(client, echo);
            long heapBefore = heapAfterGc();

            Report second = corpus.run(target, ConformanceTest.TOKEN, 4);
            second.print(System.out);
            ConformanceTest.assertAllPassed(second, corpus);
            host.flushRecords();
            long[] after = echoLatencies(client, echo);
            long heapAfter = heapAfterGc();

            System.out.printf(
                    "hostile corpus: %d cases x 2; heap after GC: %.1f MiB at start, %.1f MiB"
                            + " after pass 1, %.1f MiB after pass 2 (%+.1f %%)%n"
                            + "echo latency before / after pass 2: median %d / %d us, p90 %d / %d"
                            + " us%n",
                    corpus.names().size(),
                    heapAtStart / 1048576.0,
                    heapBefore / 1048576.0,
                    heapAfter / 1048576.0,
                    100.0 * (heapAfter - heapBefore) / heapBefore,
                    percentile(before, 50) / 1000,
                    percentile(after, 50) / 1000,
                    percentile(before, 90) / 1000,
                    percentile(after, 90) / 1000);
            assertThat(heapAfter).isLessThanOrEqualTo(heapBefore + heapBefore / 10);
            assertThat(percentile(after, 50))
                    .isLessThanOrEqualTo(3 * percentile(before, 50) + 2_000_000);
        }
    }

    /** Nanoseconds per echo invocation, sorted, after a warm-up. */
    private static long[] echoLatencies(KilnClient client, String echo) throws Exception {
        byte[] body = "ping".getBytes(StandardCharsets.UTF_8);
        long[] nanos = new long[LATENCY_SAMPLES];
        for (int i = -100; i < LATENCY_SAMPLES; i++) {
            long t = System.nanoTime();
            var r = client.send("POST", echo + "/invoke", Map.of(), body, true);
            long elapsed = System.nanoTime() - t;
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo(body);
            if (i >= 0) {
                nanos[i] = elapsed;
            }
        }
        Arrays.sort(nanos);
        return nanos;
    }

    private static long percentile(long[] sorted, int p) {
        return sorted[Math.min(sorted.length - 1, sorted.length * p / 100)];
    }

    /** Heap in use after full collections; repeated until it stops falling. */
    static long heapAfterGc() throws InterruptedException {
        var memory = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 10; i++) {
            System.gc();
            Thread.sleep(100);
            long now = memory.getHeapMemoryUsage().getUsed();
            if (now >= used - used / 200) {
                return Math.min(now, used);
            }
            used = now;
        }
        return used;
    }
}
