package dev.kiln.host.invoke;

import java.util.Locale;
import java.util.Optional;

/**
 * Why an invocation was refused as {@code overloaded}: the {@code reason} label of {@code
 * kiln_overloaded_total}. Never rename one, only add (dashboards select on them).
 */
public enum OverloadReason {
    /** The function's concurrency queue was full. */
    QUEUE_FULL,
    /** It waited queueWait at a concurrency limit, for a worker or for an instance. */
    QUEUE_TIMEOUT,
    /** The host's invocation queue was full: every worker busy and too many waiting. */
    WORKERS_BUSY,
    /** The function is at maxInstances, or the host at its instance limit. */
    INSTANCE_LIMIT,
    /** The host's memory budget had no room for a new instance. */
    MEMORY_BUDGET;

    private final String wire = name().toLowerCase(Locale.ROOT);

    /** The metric label: {@code queue_full}, {@code queue_timeout}, ... */
    public String wire() {
        return wire;
    }

    /** The reason written {@code value}; empty for anything else. */
    public static Optional<OverloadReason> fromWire(String value) {
        for (OverloadReason r : values()) {
            if (r.wire.equals(value)) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }
}
