package dev.kiln.loadgen;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

/** Turns a {@link LoadResult} into text: a summary, a text histogram, and {@code .hgrm} files. */
public final class LatencyReport {
    private LatencyReport() {}

    /** Throughput, errors and the percentiles, a few lines. */
    public static String summary(LoadResult r) {
        var p = r.percentiles();
        StringBuilder b = new StringBuilder();
        b.append(r.spec().describe())
                .append(", ")
                .append(seconds(r.measured().toNanos()))
                .append(" measured");
        if (!r.spec().warmup().isZero()) {
            b.append(" after ").append(seconds(r.spec().warmup().toNanos())).append(" warm-up");
        }
        b.append('\n');
        b.append(
                String.format(
                        Locale.ROOT,
                        "  throughput  %.1f req/s (%d responses)%n",
                        r.throughput(),
                        r.responses()));
        b.append(
                String.format(
                        Locale.ROOT,
                        "  latency     p50 %s   p90 %s   p99 %s   p99.9 %s   max %s%n",
                        duration(p.p50()),
                        duration(p.p90()),
                        duration(p.p99()),
                        duration(p.p999()),
                        duration(p.max())));
        b.append("  statuses   ");
        if (r.statuses().isEmpty()) {
            b.append(" none");
        }
        for (Map.Entry<Integer, Long> e : r.statuses().entrySet()) {
            b.append(' ').append(e.getKey()).append(": ").append(e.getValue());
        }
        b.append('\n');
        if (r.errorResponses() > 0 || r.ioErrors() > 0 || r.unfinished() > 0) {
            b.append(
                    String.format(
                            Locale.ROOT,
                            "  errors      %d non-2xx/3xx responses, %d connection errors, %d"
                                    + " unanswered at the end%n",
                            r.errorResponses(),
                            r.ioErrors(),
                            r.unfinished()));
        }
        if (r.spec().pacing() instanceof Pacing.Open && r.sendLag().getTotalCount() > 0) {
            b.append(
                    String.format(
                            Locale.ROOT,
                            "  send lag    p99 %s   max %s (how late the client itself sent"
                                    + " requests; a max near the latency max means the whole"
                                    + " machine stalled, not the server)%n",
                            duration(r.sendLag().getValueAtPercentile(99) / 1e3),
                            duration(r.sendLag().getMaxValue() / 1e3)));
        }
        return b.toString();
    }

    /**
     * A bar per latency band, bands doubling in width from the smallest recorded value: how the
     * latencies are spread, readable in a terminal.
     */
    public static String textHistogram(Histogram latencyNanos, int barWidth) {
        if (latencyNanos.getTotalCount() == 0) {
            return "  (no responses recorded)\n";
        }
        long first = Math.max(1000, Long.highestOneBit(latencyNanos.getMinNonZeroValue()));
        long total = latencyNanos.getTotalCount();
        long largest = 0;
        List<long[]> bands = new ArrayList<>();
        long lower = 0;
        // The first band holds everything up to `first`; each next one doubles.
        for (HistogramIterationValue v : latencyNanos.logarithmicBucketValues(first, 2.0)) {
            long count = v.getCountAddedInThisIterationStep();
            long upper = v.getValueIteratedTo();
            bands.add(new long[] {lower, upper, count});
            largest = Math.max(largest, count);
            lower = upper;
        }
        StringBuilder b = new StringBuilder();
        long cumulative = 0;
        for (long[] band : bands) {
            cumulative += band[2];
            int bar = (int) Math.round((double) band[2] * barWidth / Math.max(1, largest));
            b.append(
                    String.format(
                            Locale.ROOT,
                            "  %9s – %-9s %10d %6.2f%% |%s%n",
                            duration(band[0] / 1e3),
                            duration(band[1] / 1e3),
                            band[2],
                            100.0 * cumulative / total,
                            "█".repeat(bar)));
        }
        return b.toString();
    }

    /**
     * Writes the percentile distribution in HdrHistogram's {@code .hgrm} text format, values in
     * milliseconds (plot it with HdrHistogram's plotter).
     */
    public static void writeHgrm(Histogram latencyNanos, Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try (OutputStream out = Files.newOutputStream(file);
                PrintStream ps = new PrintStream(out, false, StandardCharsets.UTF_8)) {
            latencyNanos.outputPercentileDistribution(ps, 1_000_000.0);
        }
    }

    /** {@code 850µs}, {@code 1.25ms}, {@code 2.1s}. */
    public static String duration(double micros) {
        if (micros < 1000) {
            return String.format(Locale.ROOT, "%.0fµs", micros);
        }
        if (micros < 1_000_000) {
            return String.format(Locale.ROOT, "%.2fms", micros / 1e3);
        }
        return String.format(Locale.ROOT, "%.2fs", micros / 1e6);
    }

    private static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.1f s", nanos / 1e9);
    }
}
