package dev.kiln.host.events;

import java.time.Instant;

/**
 * An event that ran out of attempts or time, kept in its function's dead-letter list until it is
 * re-driven or deleted.
 *
 * @param reason {@code retries_exhausted} or {@code event_age_exceeded}
 * @param errorCode the last attempt's error code, {@code null} when none ran
 */
public record DeadLetter(
        long seq,
        EventFields fields,
        Instant createdAt,
        Instant deadLetteredAt,
        int attempts,
        String reason,
        String errorCode,
        String errorMessage)
        implements AnEvent {}
