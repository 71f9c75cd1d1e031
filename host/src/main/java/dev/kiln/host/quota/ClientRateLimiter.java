package dev.kiln.host.quota;

import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A token bucket per client address, for the public HTTP trigger ({@code --trigger-rate-per-ip}).
 * The table of addresses is bounded: when it is full, buckets that have refilled completely
 * (clients idle for a second or more) are dropped; if every tracked client is active, new clients
 * share one overflow bucket with the same rate, so a flood of fresh addresses can neither grow the
 * table nor get past the limit. (Threads adding clients at the same moment may overshoot the bound
 * by at most their number.)
 */
public final class ClientRateLimiter {
    private final double ratePerSecond;
    private final double burst;
    private final int maxTracked;
    private final Map<String, TokenBucket> buckets = new ConcurrentHashMap<>();
    private final TokenBucket overflow;
    private boolean swept;
    private long lastSweep;

    /**
     * @param ratePerSecond requests per second per client, positive
     * @param maxTracked client addresses tracked at once, positive
     */
    public ClientRateLimiter(double ratePerSecond, int maxTracked, long now) {
        if (maxTracked < 1) {
            throw new IllegalArgumentException("maxTracked must be positive: " + maxTracked);
        }
        this.ratePerSecond = ratePerSecond;
        this.burst = Math.max(1, ratePerSecond);
        this.maxTracked = maxTracked;
        this.overflow = new TokenBucket(ratePerSecond, burst, now);
    }

    /**
     * Takes a token for {@code client} at {@code now}.
     *
     * @return 0 when admitted, else nanoseconds until the client may try again
     */
    public long tryTake(String client, long now) {
        TokenBucket bucket = buckets.get(client);
        if (bucket == null) {
            if (buckets.size() >= maxTracked) {
                sweep(now);
            }
            bucket =
                    buckets.size() < maxTracked
                            ? buckets.computeIfAbsent(
                                    client, k -> new TokenBucket(ratePerSecond, burst, now))
                            : overflow;
        }
        return bucket.tryTake(now);
    }

    /** Clients tracked now (for tests and the gauge). */
    public int tracked() {
        return buckets.size();
    }

    /**
     * Drops idle clients, at most once a second: while the table is full of active clients, a flood
     * of new addresses must not cost a scan of the whole table per request.
     */
    private synchronized void sweep(long now) {
        if (swept && now - lastSweep < 1_000_000_000L) {
            return;
        }
        swept = true;
        lastSweep = now;
        for (Iterator<TokenBucket> it = buckets.values().iterator(); it.hasNext(); ) {
            if (it.next().isFull(now)) {
                it.remove();
            }
        }
    }
}
