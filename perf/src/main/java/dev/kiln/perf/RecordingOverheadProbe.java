package dev.kiln.perf;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * {@link RecordingBenchmark}'s question asked so that a busy machine cannot fake the answer: the
 * echo function with {@code record: none} and with {@code record: all} set up side by side in one
 * JVM, measured in alternating rounds (the order flipping each round), so both see the same load.
 * Prints each mode's median time per invocation over the rounds and the median of the per-round
 * ratios all / none (goal ≤ 1.10).
 *
 * <p>It also prints the process's CPU time per invocation, each round's including the time its
 * writer threads took to write what the round queued ({@code settle}): unlike elapsed time, CPU
 * time is not stretched by other processes on the machine, so this ratio holds on a loaded one.
 * What {@code all} costs is mostly the recording writer's, off the request path but on the same
 * cores.
 *
 * <p>{@code java -cp perf/target/kiln-benchmarks.jar dev.kiln.perf.RecordingOverheadProbe [rounds]
 * [invocations per round] [payload bytes] [recordings kept per function] [all|failures]}
 */
public final class RecordingOverheadProbe {
    private static final OperatingSystemMXBean OS =
            (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private RecordingOverheadProbe() {}

    /** One round's elapsed and CPU µs per invocation. */
    private record Round(double elapsedUs, double cpuUs) {}

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 40;
        int perRound = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
        int payload = args.length > 2 ? Integer.parseInt(args[2]) : 16;
        int keptPerFunction = args.length > 3 ? Integer.parseInt(args[3]) : 0;
        RecordingBenchmark none = bench("none", payload, keptPerFunction);
        // "failures" instead asks what the default costs a run that succeeds.
        String mode = args.length > 4 ? args[4] : "all";
        RecordingBenchmark all = bench(mode, payload, keptPerFunction);
        try {
            // Warm-up: both paths compiled by the JIT before anything counts.
            for (int i = 0; i < 5; i++) {
                round(none, perRound);
                round(all, perRound);
            }
            List<Double> noneUs = new ArrayList<>();
            List<Double> allUs = new ArrayList<>();
            List<Double> ratios = new ArrayList<>();
            List<Double> noneCpu = new ArrayList<>();
            List<Double> allCpu = new ArrayList<>();
            List<Double> cpuRatios = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                Round a;
                Round n;
                if (r % 2 == 0) {
                    n = round(none, perRound);
                    a = round(all, perRound);
                } else {
                    a = round(all, perRound);
                    n = round(none, perRound);
                }
                noneUs.add(n.elapsedUs());
                allUs.add(a.elapsedUs());
                ratios.add(a.elapsedUs() / n.elapsedUs());
                noneCpu.add(n.cpuUs());
                allCpu.add(a.cpuUs());
                cpuRatios.add(a.cpuUs() / n.cpuUs());
            }
            System.out.printf("\"all\" below is record: %s%n", mode);
            System.out.printf(
                    "payload %d B, %d rounds of %d invocations each: median none %.2f µs,"
                            + " all %.2f µs; median ratio all/none %.3f (p25 %.3f, p75 %.3f);"
                            + " recordings written %d%n",
                    payload,
                    rounds,
                    perRound,
                    median(noneUs),
                    median(allUs),
                    median(ratios),
                    quantile(ratios, 0.25),
                    quantile(ratios, 0.75),
                    all.recordingsWritten());
            System.out.printf(
                    "process CPU per invocation, writers included: median none %.2f µs, all %.2f"
                            + " µs; median ratio all/none %.3f (p25 %.3f, p75 %.3f);"
                            + " total all/none %.3f%n",
                    median(noneCpu),
                    median(allCpu),
                    median(cpuRatios),
                    quantile(cpuRatios, 0.25),
                    quantile(cpuRatios, 0.75),
                    sum(allCpu) / sum(noneCpu));
            long written = all.recordingsWritten();
            long superseded = all.recordingsSuperseded();
            double writerUs = threadCpuNanos("kiln-recording-writer") / 1000.0;
            System.out.printf(
                    "recording writer thread CPU: %.2f µs per recording queued, %.2f per one"
                            + " written (%d written, %d superseded in their batch by newer ones"
                            + " beyond the bound)%n",
                    writerUs / Math.max(1, written + superseded),
                    writerUs / Math.max(1, written),
                    written,
                    superseded);
        } finally {
            none.tearDown();
            all.tearDown();
        }
    }

    private static RecordingBenchmark bench(String mode, int payload, int keptPerFunction)
            throws Exception {
        RecordingBenchmark b = new RecordingBenchmark();
        b.recordingsPerFunction = keptPerFunction;
        b.record = mode;
        b.payloadBytes = payload;
        b.setUp();
        return b;
    }

    /** {@code n} invocations: elapsed µs per invocation, and CPU µs until the writers settle. */
    private static Round round(RecordingBenchmark b, int n) {
        long cpuStart = OS.getProcessCpuTime();
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            b.echo();
        }
        long elapsed = System.nanoTime() - start;
        b.settle();
        long cpu = OS.getProcessCpuTime() - cpuStart;
        return new Round(elapsed / 1000.0 / n, cpu / 1000.0 / n);
    }

    // The CPU clock ticks in 10 ms steps: one round's figure is coarse, the sum over all rounds is
    // not.
    private static double sum(List<Double> xs) {
        double s = 0;
        for (double x : xs) {
            s += x;
        }
        return s;
    }

    /** CPU time of the live threads so named (nanosecond resolution, unlike the process's). */
    private static long threadCpuNanos(String name) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long total = 0;
        for (ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (t != null && t.getThreadName().equals(name)) {
                total += Math.max(0, threads.getThreadCpuTime(t.getThreadId()));
            }
        }
        return total;
    }

    private static double median(List<Double> xs) {
        return quantile(xs, 0.5);
    }

    private static double quantile(List<Double> xs, double q) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        return s.get((int) Math.round(q * (s.size() - 1)));
    }
}
