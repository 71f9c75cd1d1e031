package dev.kiln.host.events;

import java.time.Instant;

/**
 * What follows an event's attempt, as {@link AttemptDecider} decides it from numbers alone. The
 * {@link Dispatcher} turns it into a {@link Completion} (adding error details and destination
 * events).
 */
sealed interface AttemptDecision {

    /** The event was delivered. */
    record Done() implements AttemptDecision {}

    /**
     * Try again at {@code at}.
     *
     * @param counted false when the attempt never ran, so it does not use up one of the event's
     *     attempts
     */
    record Retry(Instant at, boolean counted) implements AttemptDecision {}

    /**
     * Out of attempts or time.
     *
     * @param attempts attempts that actually ran
     */
    record DeadLetter(DeadLetterReason reason, int attempts) implements AttemptDecision {}
}
