package dev.kiln.host.observability;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import org.HdrHistogram.AbstractHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.IntCountsHistogram;

/**
 * One function's statistics over one stretch of time (a stored minute, or a step merged from
 * minutes): counts, errors by code, start kinds, and HdrHistograms of latency (microseconds) and
 * fuel. Not thread-safe: its owner ({@link FunctionStats}) guards it.
 */
final class StatsWindow {
    // Two significant digits: percentiles within 1 %, a few KiB per window (ADR 0043).
    private static final int LATENCY_DIGITS = 2;
    // Fuel spans twelve orders of magnitude; one digit keeps its histogram near 2 KiB.
    private static final int FUEL_DIGITS = 1;

    long count;
    long fuelSum;
    final Map<String, Long> errors = new TreeMap<>();
    final Map<String, Long> starts = new TreeMap<>();
    AbstractHistogram latencyMicros;
    AbstractHistogram fuel;

    /** A minute's window: int counts (a minute never holds 2^31 of one value), half the memory. */
    StatsWindow() {
        this(new IntCountsHistogram(LATENCY_DIGITS), new IntCountsHistogram(FUEL_DIGITS));
    }

    private StatsWindow(AbstractHistogram latencyMicros, AbstractHistogram fuel) {
        this.latencyMicros = latencyMicros;
        this.fuel = fuel;
    }

    /** A step's window that minutes are merged into: long counts, as a day may overflow an int. */
    static StatsWindow accumulator() {
        return new StatsWindow(new Histogram(LATENCY_DIGITS), new Histogram(FUEL_DIGITS));
    }

    void add(InvocationRecord r) {
        count++;
        fuelSum += r.fuel();
        if (r.failed()) {
            errors.merge(r.outcome(), 1L, Long::sum);
        }
        if (r.startKind() != null) {
            starts.merge(r.startKind(), 1L, Long::sum);
        }
        latencyMicros.recordValue(Math.max(0, r.durationMicros()));
        fuel.recordValue(Math.max(0, r.fuel()));
    }

    void merge(StatsWindow o) {
        count += o.count;
        fuelSum += o.fuelSum;
        o.errors.forEach((k, v) -> errors.merge(k, v, Long::sum));
        o.starts.forEach((k, v) -> starts.merge(k, v, Long::sum));
        latencyMicros.add(o.latencyMicros);
        fuel.add(o.fuel);
    }

    StatsPoint point(Instant time) {
        if (count == 0) {
            return new StatsPoint(time, 0, Map.of(), null, null, starts);
        }
        return new StatsPoint(
                time,
                count,
                errors,
                new StatsPoint.Latency(
                        millis(latencyMicros.getValueAtPercentile(50)),
                        millis(latencyMicros.getValueAtPercentile(90)),
                        millis(latencyMicros.getValueAtPercentile(99)),
                        millis(latencyMicros.getMaxValue())),
                new StatsPoint.Fuel(fuelSum, fuel.getValueAtPercentile(99), fuel.getMaxValue()),
                starts);
    }

    private static double millis(long micros) {
        return micros / 1000.0;
    }

    /** {@code code=n,code=n}: error codes and start kinds are snake_case words. */
    static String encodeCounts(Map<String, Long> counts) {
        StringBuilder out = new StringBuilder();
        counts.forEach(
                (k, v) -> {
                    if (!out.isEmpty()) {
                        out.append(',');
                    }
                    out.append(k).append('=').append(v);
                });
        return out.toString();
    }

    static void decodeCounts(String text, Map<String, Long> into) {
        if (text == null || text.isEmpty()) {
            return;
        }
        int start = 0;
        while (start < text.length()) {
            int comma = text.indexOf(',', start);
            String part = text.substring(start, comma < 0 ? text.length() : comma);
            int eq = part.indexOf('=');
            if (eq > 0) {
                into.merge(
                        part.substring(0, eq), Long.parseLong(part.substring(eq + 1)), Long::sum);
            }
            start = comma < 0 ? text.length() : comma + 1;
        }
    }

    static byte[] encode(AbstractHistogram h) {
        ByteBuffer buffer = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
        int n = h.encodeIntoCompressedByteBuffer(buffer, Deflater.DEFAULT_COMPRESSION);
        return Arrays.copyOf(buffer.array(), n);
    }

    static IntCountsHistogram decode(byte[] bytes, int digits) {
        if (bytes == null || bytes.length == 0) {
            return new IntCountsHistogram(digits);
        }
        try {
            IntCountsHistogram h =
                    IntCountsHistogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(bytes), 0);
            h.setAutoResize(true);
            return h;
        } catch (DataFormatException | RuntimeException e) {
            // A damaged histogram loses its percentiles, not the counts stored beside it.
            return new IntCountsHistogram(digits);
        }
    }

    static IntCountsHistogram decodeLatency(byte[] bytes) {
        return decode(bytes, LATENCY_DIGITS);
    }

    static IntCountsHistogram decodeFuel(byte[] bytes) {
        return decode(bytes, FUEL_DIGITS);
    }
}
