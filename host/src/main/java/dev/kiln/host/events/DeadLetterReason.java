package dev.kiln.host.events;

import java.util.Locale;
import java.util.Optional;

/**
 * Why an event was dead-lettered. The wire form is stored in {@code dead_letters.reason} and shown
 * in the dead-letter API and destination records: never rename one, only add.
 */
public enum DeadLetterReason {
    /** It used up maxAttempts. */
    RETRIES_EXHAUSTED,
    /** It outlived maxEventAgeSeconds before it could succeed. */
    EVENT_AGE_EXCEEDED;

    private final String wire = name().toLowerCase(Locale.ROOT);

    /** {@code retries_exhausted} or {@code event_age_exceeded}. */
    public String wire() {
        return wire;
    }

    /** The reason written {@code value}; empty for anything else. */
    public static Optional<DeadLetterReason> fromWire(String value) {
        for (DeadLetterReason r : values()) {
            if (r.wire.equals(value)) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }
}
