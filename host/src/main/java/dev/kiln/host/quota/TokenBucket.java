package dev.kiln.host.quota;

/**
 * A token bucket: holds up to {@code capacity} tokens, refills at {@code ratePerSecond}, and each
 * admitted request takes one. Time is passed in (nanoseconds from any fixed origin, as {@link
 * System#nanoTime()}), so the decision is a pure function of the calls made: tests drive it with
 * their own clock. Thread-safe.
 *
 * <p>Over any window of length {@code t} seconds it admits at most {@code capacity + rate * t}
 * requests, and a request refused is told exactly how long until a token is there.
 */
public final class TokenBucket {
    private static final double NANOS = 1_000_000_000d;

    private double ratePerNano;
    private double capacity;
    private double tokens;
    private long last;

    /**
     * A full bucket at {@code now}.
     *
     * @param ratePerSecond tokens added per second, positive
     * @param capacity most tokens held (the burst), at least 1
     */
    public TokenBucket(double ratePerSecond, double capacity, long now) {
        if (!(ratePerSecond > 0) || Double.isInfinite(ratePerSecond)) {
            throw new IllegalArgumentException("ratePerSecond must be positive: " + ratePerSecond);
        }
        if (!(capacity >= 1) || Double.isInfinite(capacity)) {
            throw new IllegalArgumentException("capacity must be at least 1: " + capacity);
        }
        this.ratePerNano = ratePerSecond / NANOS;
        this.capacity = capacity;
        this.tokens = capacity;
        this.last = now;
    }

    /**
     * Takes one token if there is one at {@code now}.
     *
     * @return 0 when a token was taken; else the nanoseconds until one will be there (at least 1)
     */
    public synchronized long tryTake(long now) {
        refill(now);
        if (tokens >= 1) {
            tokens -= 1;
            return 0;
        }
        return Math.max(1, (long) Math.ceil((1 - tokens) / ratePerNano));
    }

    /**
     * Changes the rate and the capacity from {@code now} on, keeping the tokens held (at most the
     * new capacity): a cluster node's share of a quota moves with demand (docs/adr/0058) without
     * handing out a fresh burst at each move.
     */
    public synchronized void resize(double ratePerSecond, double capacity, long now) {
        if (!(ratePerSecond > 0) || Double.isInfinite(ratePerSecond)) {
            throw new IllegalArgumentException("ratePerSecond must be positive: " + ratePerSecond);
        }
        if (!(capacity >= 1) || Double.isInfinite(capacity)) {
            throw new IllegalArgumentException("capacity must be at least 1: " + capacity);
        }
        refill(now);
        this.ratePerNano = ratePerSecond / NANOS;
        this.capacity = capacity;
        this.tokens = Math.min(tokens, capacity);
    }

    /** Whether the bucket is full at {@code now}: it has been idle long enough to be forgotten. */
    public synchronized boolean isFull(long now) {
        refill(now);
        return tokens >= capacity;
    }

    private void refill(long now) {
        long elapsed = now - last;
        // A clock that went backwards (another thread's older reading) adds nothing.
        if (elapsed > 0) {
            tokens = Math.min(capacity, tokens + elapsed * ratePerNano);
            last = now;
        }
    }

    /** Whole seconds to wait for {@code nanos}, rounded up, at least 1: for {@code Retry-After}. */
    public static long retryAfterSeconds(long nanos) {
        return Math.max(1, (nanos + 999_999_999L) / 1_000_000_000L);
    }
}
