package dev.kiln.host.http;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The host-wide budget of request body bytes held in memory: every body reserves what it has
 * buffered before it buffers more, and gives it back when its request ends. Lock-free; no Undertow
 * types, so a host-wide memory budget can count {@link #used()} as one of its parts.
 */
public final class RequestBytesBudget {
    private final long limit;
    private final AtomicLong used = new AtomicLong();
    private final LongAdder refusals = new LongAdder();

    public RequestBytesBudget(long limit) {
        if (limit <= 0) {
            throw new IllegalArgumentException("limit must be positive, got " + limit);
        }
        this.limit = limit;
    }

    /**
     * Takes {@code bytes} from the budget, or nothing (and counts a refusal) if they do not fit.
     */
    public boolean tryReserve(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes must not be negative, got " + bytes);
        }
        while (true) {
            long now = used.get();
            if (bytes > limit - now) {
                refusals.increment();
                return false;
            }
            if (used.compareAndSet(now, now + bytes)) {
                return true;
            }
        }
    }

    /** Gives back bytes an earlier {@link #tryReserve} took. */
    public void release(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes must not be negative, got " + bytes);
        }
        long after = used.addAndGet(-bytes);
        if (after < 0) {
            throw new IllegalStateException("released more request bytes than were reserved");
        }
    }

    /** Bytes reserved now. */
    public long used() {
        return used.get();
    }

    /** The most that may be reserved at once. */
    public long limit() {
        return limit;
    }

    /** Reservations refused since start. */
    public long refusals() {
        return refusals.sum();
    }
}
