package dev.kiln.host.pool;

import java.util.Locale;
import java.util.Optional;

/** What an invocation may see of the invocations before it on the same instance. */
public enum Isolation {
    /** Every invocation sees the post-init snapshot: memory and globals are reset after each. */
    FRESH,
    /** State carries over between invocations of one instance, like a warm Lambda container. */
    REUSE;

    /** The setting's JSON value: {@code fresh} or {@code reuse}. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Isolation> fromWire(String value) {
        for (Isolation i : values()) {
            if (i.wire().equals(value)) {
                return Optional.of(i);
            }
        }
        return Optional.empty();
    }
}
