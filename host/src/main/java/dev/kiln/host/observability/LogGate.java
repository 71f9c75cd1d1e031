package dev.kiln.host.observability;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Lets at most one warning through per interval, so a fault that repeats per request or per batch
 * is reported as a line a minute with counts, never a line each (the counts live in metrics).
 */
public final class LogGate {
    private final long everyNanos;
    private final AtomicLong last;

    public LogGate(Duration every) {
        this.everyNanos = every.toNanos();
        this.last = new AtomicLong(System.nanoTime() - everyNanos);
    }

    /** Whether the caller may log now; true for one caller per interval, the first at once. */
    public boolean pass() {
        long then = last.get();
        long now = System.nanoTime();
        return now - then >= everyNanos && last.compareAndSet(then, now);
    }
}
