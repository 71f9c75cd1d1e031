package dev.kiln.host.events;

import java.time.Duration;
import java.time.Instant;
import java.util.random.RandomGenerator;

/**
 * When a failed event is tried again: exponential backoff with "equal jitter" (half the delay
 * fixed, half random), so retries of many events spread out instead of arriving together, yet never
 * come sooner than half the nominal delay.
 */
final class RetryPolicy {
    private final Duration base;
    private final Duration max;
    private final RandomGenerator random;

    RetryPolicy(Duration base, Duration max, RandomGenerator random) {
        this.base = base;
        this.max = max;
        this.random = random;
    }

    /** The delay after attempt number {@code attempt} (1 = the first) failed. */
    Duration backoff(int attempt) {
        return jittered(nominalBackoffMs(attempt));
    }

    /**
     * The delay after attempt {@code attempt} failed before jitter: base × 2^(attempt-1), capped.
     */
    long nominalBackoffMs(int attempt) {
        long baseMs = base.toMillis();
        long maxMs = max.toMillis();
        int shift = Math.min(Math.max(attempt - 1, 0), 30);
        return baseMs > (maxMs >> shift) ? maxMs : Math.min(maxMs, baseMs << shift);
    }

    /** {@code nominal} milliseconds, less up to half of it at random. */
    Duration jittered(long nominalMs) {
        long half = nominalMs / 2;
        return Duration.ofMillis(half + random.nextLong(nominalMs - half + 1));
    }

    /**
     * What follows a failed attempt.
     *
     * @return the time of the next attempt, or {@code null} when the event is out of attempts or
     *     the next attempt would come after its maximum age
     */
    Instant nextAttempt(
            int attemptsMade, int maxAttempts, Instant createdAt, Duration maxAge, Instant now) {
        if (attemptsMade >= maxAttempts) {
            return null;
        }
        Instant next = now.plus(backoff(attemptsMade));
        return next.isAfter(createdAt.plus(maxAge)) ? null : next;
    }
}
