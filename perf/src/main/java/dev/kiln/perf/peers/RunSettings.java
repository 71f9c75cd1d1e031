package dev.kiln.perf.peers;

import dev.kiln.perf.compute.ComputeSettings;
import java.time.Duration;
import java.util.List;

/**
 * How long and how hard each target is driven.
 *
 * @param warmup closed-loop load before anything is measured (JIT, pools, caches)
 * @param maxDuration each closed-loop run that looks for the maximum throughput
 * @param connections connection counts tried for the maximum; the best one is kept for the levels
 * @param fractions open-loop rates, as fractions of the maximum throughput
 * @param levelWarmup open-loop load at each rate before its measurement starts
 * @param levelDuration the measured window at each rate
 * @param loadgenThreads event-loop threads of the load generator
 * @param payload the request body every target must echo
 */
public record RunSettings(
        boolean smoke,
        Duration warmup,
        Duration maxDuration,
        List<Integer> connections,
        List<Double> fractions,
        Duration levelWarmup,
        Duration levelDuration,
        int loadgenThreads,
        String payload,
        ComputeSettings compute) {
    public RunSettings {
        connections = List.copyOf(connections);
        fractions = List.copyOf(fractions);
        if (connections.isEmpty() || fractions.isEmpty()) {
            throw new IllegalArgumentException("connections and fractions must not be empty");
        }
        for (double f : fractions) {
            if (!(f > 0 && f <= 1.5)) {
                throw new IllegalArgumentException("a fraction must be in (0, 1.5]: " + f);
            }
        }
    }

    /** The full run: about a minute and a half per target. */
    public static RunSettings fullRun() {
        return new RunSettings(
                false,
                Duration.ofSeconds(5),
                Duration.ofSeconds(10),
                List.of(16, 64),
                List.of(0.5, 0.7, 0.9),
                Duration.ofSeconds(2),
                Duration.ofSeconds(15),
                1,
                "hello",
                ComputeSettings.full());
    }

    /** Seconds in all: proves the harness works, measures nothing worth reading. */
    public static RunSettings smokeRun() {
        return new RunSettings(
                true,
                Duration.ofMillis(300),
                Duration.ofMillis(700),
                List.of(16),
                List.of(0.5, 0.7, 0.9),
                Duration.ZERO,
                Duration.ofMillis(400),
                1,
                "hello",
                ComputeSettings.smoke());
    }
}
