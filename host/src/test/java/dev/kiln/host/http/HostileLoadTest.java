package dev.kiln.host.http;

import static dev.kiln.host.testing.TestHost.errorCode;
import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Repeated hostile invocations leave the host serving, with every worker thread intact and the
 * latency of other functions as it was.
 */
class HostileLoadTest {
    static final String RECURSION_BOMB =
            """
            (module
              (memory (export "memory") 1)
              (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
              (func $r (param i32) (result i32) (call $r (i32.add (local.get 0) (i32.const 1))))
              (func (export "kiln_handle") (param i32 i32) (result i64)
                (i64.extend_i32_u (call $r (i32.const 0)))))
            """;

    @Test
    void aThousandStackExhaustionsInARowAndTheHostStillServes(@TempDir Path data) {
        try (TestHost kiln = TestHost.start(data)) {
            kiln.deploy("h", "bomb", Wat.compile(RECURSION_BOMB));
            kiln.patch("h", "bomb", "{\"fuel\":1000000000000}");
            kiln.deploy("h", "echo", Wat.fixture("echo"));
            long[] before = echoLatencies(kiln);
            for (int i = 0; i < 1000; i++) {
                var r = kiln.invoke("h", "bomb", "x");
                assertThat(r.statusCode()).as("bomb %d", i).isEqualTo(500);
                assertThat(errorCode(r)).isEqualTo("stack_exhausted");
            }
            // Every worker (8 on this machine) must still run guests correctly...
            for (int i = 0; i < 100; i++) {
                assertThat(text(kiln.invoke("h", "echo", "ok " + i))).isEqualTo("ok " + i);
            }
            // ...without hanging. Speed goals belong in perf/ (and the conformance suite's
            // HostileCorpusTest compares latency before and after its hostile corpus): this bound
            // only catches a wedged worker, which would hold an echo for seconds.
            long[] after = echoLatencies(kiln);
            System.out.printf(
                    "echo latency before / after 1000 stack exhaustions: median %d / %d us,"
                            + " p90 %d / %d us%n",
                    before[before.length / 2] / 1000,
                    after[after.length / 2] / 1000,
                    before[before.length * 9 / 10] / 1000,
                    after[after.length * 9 / 10] / 1000);
            assertThat(after[after.length - 1])
                    .as("the slowest echo after the bombs, ns")
                    .isLessThan(TimeUnit.SECONDS.toNanos(5));
        }
    }

    /** Nanoseconds per echo invocation, sorted, after a warm-up. */
    private static long[] echoLatencies(TestHost kiln) {
        long[] nanos = new long[300];
        for (int i = -100; i < nanos.length; i++) {
            long t = System.nanoTime();
            var r = kiln.invoke("h", "echo", "ping");
            long elapsed = System.nanoTime() - t;
            assertThat(r.statusCode()).isEqualTo(200);
            if (i >= 0) {
                nanos[i] = elapsed;
            }
        }
        Arrays.sort(nanos);
        return nanos;
    }
}
