package dev.kiln.host.pool;

import java.util.Locale;
import java.util.Optional;

/** How an invocation got its instance; reported in {@code X-Kiln-Start}. */
public enum StartKind {
    /** A ready instance was taken from the pool. */
    POOL,
    /** The code was compiled already; the instance was created for this invocation. */
    WARM,
    /** The code was compiled for this invocation. */
    COLD;

    // Computed once: wire() is called twice per invocation (response header and record).
    private final String wire = name().toLowerCase(Locale.ROOT);

    /** {@code pool}, {@code warm} or {@code cold}: the header, record and metric label value. */
    public String wire() {
        return wire;
    }

    /** The kind written {@code value}; empty for anything else. */
    public static Optional<StartKind> fromWire(String value) {
        for (StartKind k : values()) {
            if (k.wire.equals(value)) {
                return Optional.of(k);
            }
        }
        return Optional.empty();
    }
}
