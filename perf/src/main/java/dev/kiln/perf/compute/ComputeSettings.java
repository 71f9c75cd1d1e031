package dev.kiln.perf.compute;

import java.time.Duration;

/**
 * How each workload is timed, identically in the JVM and in node: run it for {@code warmup}, then
 * time single runs for at least {@code measure} and {@code minIterations}; report the median.
 */
public record ComputeSettings(Duration warmup, Duration measure, int minIterations) {
    public static ComputeSettings full() {
        return new ComputeSettings(Duration.ofSeconds(3), Duration.ofSeconds(5), 10);
    }

    public static ComputeSettings smoke() {
        return new ComputeSettings(Duration.ofMillis(100), Duration.ofMillis(100), 3);
    }
}
