package dev.kiln.loadgen;

import java.time.Duration;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;

/**
 * What a load run measured. Latencies are in nanoseconds; in open loop they are counted from the
 * time each request was due (coordinated omission corrected).
 *
 * @param responses responses that arrived inside the measured window (the throughput numerator)
 * @param measured length of the measured window
 * @param latency every recorded response's latency; treat as read-only
 * @param sendLag open loop only: how long a due request waited for the client once its connection
 *     was free (a large value means the client, not the target, fell behind); empty in closed loop
 * @param statuses responses per HTTP status, among the recorded ones
 * @param ioErrors connections that failed (refused, reset, malformed response) and were reopened
 * @param unfinished requests still without a response when the run ended
 */
public record LoadResult(
        LoadSpec spec,
        long responses,
        Duration measured,
        Histogram latency,
        Histogram sendLag,
        SortedMap<Integer, Long> statuses,
        long ioErrors,
        long unfinished) {

    public LoadResult {
        statuses = new TreeMap<>(statuses);
    }

    /** Responses per second over the measured window. */
    public double throughput() {
        return responses / (measured.toNanos() / 1e9);
    }

    /** Recorded responses whose status was not 2xx or 3xx. */
    public long errorResponses() {
        long n = 0;
        for (Map.Entry<Integer, Long> e : statuses.entrySet()) {
            if (e.getKey() < 200 || e.getKey() >= 400) {
                n += e.getValue();
            }
        }
        return n;
    }

    /** The usual percentiles, in microseconds. */
    public Percentiles percentiles() {
        return Percentiles.of(latency);
    }

    /** Latency percentiles in microseconds; zeros when nothing was recorded. */
    public record Percentiles(
            long count, double p50, double p90, double p99, double p999, double max, double mean) {
        static Percentiles of(Histogram h) {
            if (h.getTotalCount() == 0) {
                return new Percentiles(0, 0, 0, 0, 0, 0, 0);
            }
            return new Percentiles(
                    h.getTotalCount(),
                    micros(h.getValueAtPercentile(50)),
                    micros(h.getValueAtPercentile(90)),
                    micros(h.getValueAtPercentile(99)),
                    micros(h.getValueAtPercentile(99.9)),
                    micros(h.getMaxValue()),
                    h.getMean() / 1e3);
        }

        private static double micros(long nanos) {
            return nanos / 1e3;
        }
    }
}
