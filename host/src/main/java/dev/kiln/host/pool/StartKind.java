package dev.kiln.host.pool;

import java.util.Locale;

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

    public String wire() {
        return wire;
    }
}
