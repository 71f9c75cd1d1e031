package dev.kiln.loadgen;

import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;

/**
 * What one load recorded between two {@link LoadRun#sample} calls: the responses that completed in
 * that interval (those a {@link LoadResult} would record, so warm-up ones are left out), by latency
 * and status, and the connections that failed.
 *
 * @param latency latencies in nanoseconds, as in {@link LoadResult#latency}; treat as read-only
 * @param statuses responses per HTTP status
 * @param ioErrors connections that failed (refused, reset, malformed response) and were reopened
 */
public record IntervalSample(Histogram latency, SortedMap<Integer, Long> statuses, long ioErrors) {

    public IntervalSample {
        statuses = new TreeMap<>(statuses);
    }

    /** Responses recorded in the interval. */
    public long responses() {
        return latency.getTotalCount();
    }

    /** Responses with one of {@code accepted} statuses in the interval. */
    public long responsesWith(Set<Integer> accepted) {
        long n = 0;
        for (Map.Entry<Integer, Long> e : statuses.entrySet()) {
            if (accepted.contains(e.getKey())) {
                n += e.getValue();
            }
        }
        return n;
    }

    /** The usual percentiles, in microseconds. */
    public LoadResult.Percentiles percentiles() {
        return LoadResult.Percentiles.of(latency);
    }
}
