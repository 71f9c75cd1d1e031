package dev.kiln.perf;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import org.openjdk.jmh.annotations.Param;

/**
 * {@link WasiCgiStartBenchmark}'s variants measured in CPU time of the calling thread instead of
 * wall-clock time: on a shared machine other processes stretch wall time but not this thread's CPU
 * time. Prints the best of five rounds per variant (GC threads' work is not counted).
 *
 * <pre>java -cp perf/target/kiln-benchmarks.jar dev.kiln.perf.WasiCgiStartCpuTime</pre>
 */
public final class WasiCgiStartCpuTime {
    private WasiCgiStartCpuTime() {}

    /** The benchmark's own {@code @Param} list, so the two never differ. */
    private static String[] variants() {
        try {
            return WasiCgiStartBenchmark.class
                    .getField("variant")
                    .getAnnotation(Param.class)
                    .value();
        } catch (NoSuchFieldException e) {
            throw new IllegalStateException(e);
        }
    }

    public static void main(String[] args) throws IOException {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        double baseline = 0;
        for (String variant : variants()) {
            var bench = new WasiCgiStartBenchmark();
            bench.variant = variant;
            bench.setUp();
            int n = 2000;
            for (int i = 0; i < 2 * n; i++) {
                bench.hello(); // warm-up: let the JIT compile the guest and the host path
            }
            long best = Long.MAX_VALUE;
            for (int round = 0; round < 5; round++) {
                long start = threads.getCurrentThreadCpuTime();
                for (int i = 0; i < n; i++) {
                    bench.hello();
                }
                best = Math.min(best, (threads.getCurrentThreadCpuTime() - start) / n);
            }
            double micros = best / 1000.0;
            if (baseline == 0) {
                baseline = micros;
            }
            System.out.printf(
                    "%-17s %8.1f us CPU per hello  %6.1fx kiln-pool%n",
                    variant, micros, micros / baseline);
        }
    }
}
