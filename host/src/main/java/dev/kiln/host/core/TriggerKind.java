package dev.kiln.host.core;

import java.util.Locale;
import java.util.Optional;

/**
 * How an invocation started. The wire form is what the guest reads as its trigger, what invocation
 * records store and what the API shows: never rename one, only add.
 */
public enum TriggerKind {
    /** The invoke API, synchronous or asynchronous. */
    INVOKE,
    /** The HTTP trigger, {@code /fn/...}. */
    HTTP,
    /** A topic subscription or a destination. */
    EVENT,
    /** A cron timer. */
    TIMER;

    private final String wire = name().toLowerCase(Locale.ROOT);

    /** {@code invoke}, {@code http}, {@code event} or {@code timer}. */
    public String wire() {
        return wire;
    }

    /** The kind written {@code value}; empty for anything else. */
    public static Optional<TriggerKind> fromWire(String value) {
        for (TriggerKind k : values()) {
            if (k.wire.equals(value)) {
                return Optional.of(k);
            }
        }
        return Optional.empty();
    }
}
