package dev.kiln.host.observability;

import java.time.Instant;
import java.util.Map;

/**
 * One step of a function's statistics (docs/adr/0043).
 *
 * @param time the step's start
 * @param count invocations whose records were written, by their start time
 * @param errors invocations that failed, by error code
 * @param latencyMs p50, p90, p99 and max of the invocations' durations in milliseconds
 *     (HdrHistogram, two significant digits), or null when the step has none
 * @param fuel fuel used: sum (exact), p99 and max, or null when the step has none
 * @param starts invocations by how their instance was obtained ({@code pool}, {@code warm}, {@code
 *     cold}); those that never got one are not counted here
 */
public record StatsPoint(
        Instant time,
        long count,
        Map<String, Long> errors,
        Latency latencyMs,
        Fuel fuel,
        Map<String, Long> starts) {
    public StatsPoint {
        errors = Map.copyOf(errors);
        starts = Map.copyOf(starts);
    }

    /** Latency percentiles of a step, in milliseconds. */
    public record Latency(double p50, double p90, double p99, double max) {}

    /** Fuel of a step: the exact sum and two percentiles. */
    public record Fuel(long sum, long p99, long max) {}
}
