package dev.kiln.host.access;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Slows key guessing: each client IP has a budget of {@link AccessLimits#authFailuresPerIp()}
 * invalid keys that refills evenly over {@link AccessLimits#authFailureWindow()} (a token bucket).
 * An IP with an empty budget is refused before any key it sends is checked, so guessing gets no
 * answer at all until the budget refills. Only invalid keys count: requests without a key, or with
 * a valid key outside its role, are never guesses.
 */
public final class AuthFailureLimiter {
    /** IPs tracked at most; beyond this, IPs whose budget is full again are forgotten first. */
    static final int MAX_TRACKED = 100_000;

    private final double capacity;
    private final double refillPerNano;
    private final LongSupplier clock;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

    private record Bucket(double tokens, long at) {}

    public AuthFailureLimiter(AccessLimits limits) {
        this(limits, System::nanoTime);
    }

    AuthFailureLimiter(AccessLimits limits, LongSupplier clock) {
        this.capacity = limits.authFailuresPerIp();
        this.refillPerNano = capacity / (double) limits.authFailureWindow().toNanos();
        this.clock = clock;
    }

    /** Whether no IP has presented an invalid key lately: then every IP may present one now. */
    public boolean tracksNone() {
        return buckets.isEmpty();
    }

    /**
     * Seconds until {@code ip} may present a key again (for {@code Retry-After}), or 0 when it may
     * now.
     */
    public long retryAfterSeconds(String ip) {
        Bucket b = buckets.get(ip);
        if (b == null) {
            return 0;
        }
        double tokens = refilled(b, clock.getAsLong());
        if (tokens >= 1) {
            return 0;
        }
        double nanos = (1 - tokens) / refillPerNano;
        return Math.max(1, (long) Math.ceil(nanos / 1e9));
    }

    /** Counts one invalid key presented by {@code ip}. */
    public void failed(String ip) {
        long now = clock.getAsLong();
        if (buckets.size() >= MAX_TRACKED) {
            buckets.values().removeIf(b -> refilled(b, now) >= capacity);
            // Still full (failures from very many IPs at once): make room with any one of them.
            var it = buckets.keySet().iterator();
            while (buckets.size() >= MAX_TRACKED && it.hasNext()) {
                it.next();
                it.remove();
            }
        }
        buckets.compute(
                ip,
                (k, b) -> {
                    double tokens = b == null ? capacity : refilled(b, now);
                    return new Bucket(Math.max(0, tokens - 1), now);
                });
    }

    private double refilled(Bucket b, long now) {
        return Math.min(capacity, b.tokens() + (now - b.at()) * refillPerNano);
    }
}
