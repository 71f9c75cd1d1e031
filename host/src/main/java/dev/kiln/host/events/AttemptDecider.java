package dev.kiln.host.events;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Decides an event's fate after an attempt — done, retry at some time, or dead letter — from the
 * attempt's outcome, the attempts made so far, the event's age and its function's {@link
 * AsyncConfig}. A pure function apart from the jitter {@link RetryPolicy} draws from its random
 * source: no clock (the caller passes {@code now}), no I/O, no threads, so its rules have property
 * tests (AttemptDeciderProperties).
 *
 * <p>Rules: a success is done. A failure is retried after the policy's backoff while attempts are
 * left and the retry would come before the event's maximum age, else dead-lettered ({@code
 * retries_exhausted} when out of attempts, {@code event_age_exceeded} otherwise). An attempt that
 * never ran (function at capacity, invoker refusal) is retried after the jittered throttle delay
 * without using up an attempt; one that found its function at capacity past the event's maximum age
 * is dead-lettered instead.
 */
final class AttemptDecider {
    private final RetryPolicy retries;
    private final long throttleDelayMs;

    AttemptDecider(RetryPolicy retries, Duration throttleDelay) {
        this.retries = retries;
        this.throttleDelayMs = throttleDelay.toMillis();
    }

    /**
     * Before an attempt starts: a dead letter when the event is already past its maximum age.
     *
     * @param attempts attempts counted so far, this one included (the lease counts it)
     */
    Optional<AttemptDecision.DeadLetter> beforeStart(
            int attempts, Instant createdAt, Instant now, AsyncConfig config) {
        if (pastMaxAge(createdAt, now, config)) {
            return Optional.of(
                    new AttemptDecision.DeadLetter(
                            DeadLetterReason.EVENT_AGE_EXCEEDED, attempts - 1));
        }
        return Optional.empty();
    }

    /**
     * After an attempt.
     *
     * @param attempts attempts counted so far, this one included
     */
    AttemptDecision decide(
            AttemptOutcome outcome,
            int attempts,
            Instant createdAt,
            Instant now,
            AsyncConfig config) {
        return switch (outcome) {
            case SUCCEEDED -> new AttemptDecision.Done();
            case OVERLOADED ->
                    pastMaxAge(createdAt, now, config)
                            ? new AttemptDecision.DeadLetter(
                                    DeadLetterReason.EVENT_AGE_EXCEEDED, attempts - 1)
                            : throttled(now);
            case REFUSED -> throttled(now);
            case START_CRASHED ->
                    new AttemptDecision.Retry(now.plus(retries.backoff(attempts)), true);
            case FAILED -> {
                Instant next =
                        retries.nextAttempt(
                                attempts,
                                config.maxAttempts(),
                                createdAt,
                                Duration.ofSeconds(config.maxEventAgeSeconds()),
                                now);
                if (next != null) {
                    yield new AttemptDecision.Retry(next, true);
                }
                yield new AttemptDecision.DeadLetter(
                        attempts >= config.maxAttempts()
                                ? DeadLetterReason.RETRIES_EXHAUSTED
                                : DeadLetterReason.EVENT_AGE_EXCEEDED,
                        attempts);
            }
        };
    }

    private AttemptDecision.Retry throttled(Instant now) {
        return new AttemptDecision.Retry(now.plus(retries.jittered(throttleDelayMs)), false);
    }

    private static boolean pastMaxAge(Instant createdAt, Instant now, AsyncConfig config) {
        return now.isAfter(createdAt.plusSeconds(config.maxEventAgeSeconds()));
    }
}
