package dev.kiln.loadgen;

/** How requests are paced: as fast as responses come back, or at a constant rate. */
public sealed interface Pacing {
    /**
     * Closed loop: every connection sends its next request as soon as the previous response
     * arrives. Finds the maximum throughput; its latencies hide queueing (coordinated omission).
     */
    record Closed() implements Pacing {}

    /**
     * Open loop: requests are due at a constant total rate, spread evenly over the connections.
     * Latency is measured from the time a request was due, not from when it was sent, so a stalled
     * server is charged for every request it delayed (coordinated omission corrected).
     *
     * @param requestsPerSecond total rate over all connections
     */
    record Open(double requestsPerSecond) implements Pacing {
        public Open {
            if (!(requestsPerSecond > 0) || requestsPerSecond > LoadSpec.MAX_RATE) {
                throw new IllegalArgumentException(
                        "rate must be in (0, " + LoadSpec.MAX_RATE + "], got " + requestsPerSecond);
            }
        }
    }

    static Pacing closed() {
        return new Closed();
    }

    static Pacing open(double requestsPerSecond) {
        return new Open(requestsPerSecond);
    }
}
