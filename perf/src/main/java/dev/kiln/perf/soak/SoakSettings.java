package dev.kiln.perf.soak;

import java.time.Duration;

/**
 * How a soak runs and what it must show. Rates of the mixed load are shares of {@code fraction} ×
 * the echo maximum measured first. The hostile guests run at fixed rates by default: each of their
 * invocations costs its whole budget (milliseconds of fuel, a 4 MiB stack overflow, a 20 ms
 * timeout), hundreds of times an echo, so as a share of a rate derived from the echo they would be
 * most of the host's work and the soak would measure overload rather than endurance.
 *
 * @param maxWarmup closed-loop warm-up before the maximum is measured
 * @param maxDuration the closed-loop run whose throughput is the maximum
 * @param maxConnections connections of that run
 * @param fraction the mixed load's total rate, as a fraction of the maximum
 * @param duration the mixed load
 * @param interval how often figures are sampled (each sample forces a full GC in the host)
 * @param echoShare share of the rate: invoke of the echo function
 * @param httpShare share: the HTTP trigger of the web function
 * @param asyncShare share: asynchronous invokes of the sink function
 * @param hostileShare share: more hostile requests (fuel, memory, trap, stack), split evenly, on
 *     top of {@code hostileRate}; 0 by default
 * @param hostileRate requests per second to each hostile guest (fuel, memory, trap, stack)
 * @param timeoutRate requests per second to the guest that runs into its timeout
 * @param uploadEvery period of the uploads of a new version
 * @param p99Ratio most the median p99 of the last third of intervals may be of the first third's
 * @param p99FloorMs p99s at or under this count as flat whatever the ratio (sub-millisecond noise)
 * @param heapGrowth most the median heap after GC of the last third may grow over the first's
 * @param heapSlackMiB absolute slack on the heap comparison
 * @param threadSlack most the thread count of the last third may exceed the first third's
 * @param drainTimeout how long the asynchronous queue may take to drain after the load
 */
record SoakSettings(
        Duration maxWarmup,
        Duration maxDuration,
        int maxConnections,
        double fraction,
        Duration duration,
        Duration interval,
        double echoShare,
        double httpShare,
        double asyncShare,
        double hostileShare,
        double hostileRate,
        double timeoutRate,
        Duration uploadEvery,
        double p99Ratio,
        double p99FloorMs,
        double heapGrowth,
        double heapSlackMiB,
        int threadSlack,
        Duration drainTimeout) {

    static SoakSettings defaults() {
        return new SoakSettings(
                Duration.ofSeconds(3),
                Duration.ofSeconds(10),
                64,
                0.7,
                Duration.ofMinutes(10),
                Duration.ofSeconds(10),
                0.70,
                0.20,
                0.10,
                0,
                5,
                2,
                Duration.ofSeconds(5),
                1.5,
                5,
                0.2,
                4,
                2,
                Duration.ofMinutes(2));
    }

    /** Seconds instead of minutes: proves the harness works, says little about the host. */
    static SoakSettings smoke() {
        SoakSettings d = defaults();
        return new SoakSettings(
                Duration.ofSeconds(1),
                Duration.ofSeconds(2),
                d.maxConnections(),
                d.fraction(),
                Duration.ofSeconds(20),
                Duration.ofSeconds(5),
                d.echoShare(),
                d.httpShare(),
                d.asyncShare(),
                d.hostileShare(),
                d.hostileRate(),
                d.timeoutRate(),
                Duration.ofSeconds(2),
                d.p99Ratio(),
                d.p99FloorMs(),
                d.heapGrowth(),
                d.heapSlackMiB(),
                d.threadSlack(),
                Duration.ofSeconds(60));
    }

    SoakSettings {
        if (!(fraction > 0) || fraction > 2) {
            throw new IllegalArgumentException("fraction must be in (0, 2], got " + fraction);
        }
        if (interval.compareTo(Duration.ofSeconds(1)) < 0 || duration.compareTo(interval) < 0) {
            throw new IllegalArgumentException(
                    "the interval must be at least 1 s and at most the duration");
        }
        for (double share : new double[] {echoShare, httpShare, asyncShare, hostileShare}) {
            if (share < 0 || share > 1) {
                throw new IllegalArgumentException("shares must be in [0, 1], got " + share);
            }
        }
        if (echoShare <= 0) {
            throw new IllegalArgumentException("the echo share must be positive");
        }
    }
}
