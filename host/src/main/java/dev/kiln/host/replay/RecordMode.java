package dev.kiln.host.replay;

import java.util.Optional;

/**
 * Which invocations of a function are recorded for replay: its {@code record} setting
 * (docs/adr/0041).
 */
public enum RecordMode {
    /** Nothing is recorded; the invocation path does no recording work at all. */
    NONE("none"),
    /** Only invocations that fail are kept (the default); every run buffers its journal. */
    FAILURES("failures"),
    /** Every invocation is kept. */
    ALL("all");

    private final String wire;

    RecordMode(String wire) {
        this.wire = wire;
    }

    public String wire() {
        return wire;
    }

    /**
     * The mode of this wire name, empty for anything else. Asked once per invocation: no stream.
     */
    public static Optional<RecordMode> fromWire(String wire) {
        if (wire == null) {
            return Optional.empty();
        }
        return switch (wire) {
            case "none" -> Optional.of(NONE);
            case "failures" -> Optional.of(FAILURES);
            case "all" -> Optional.of(ALL);
            default -> Optional.empty();
        };
    }

    /** Whether an invocation that ended so is kept. */
    public boolean keeps(boolean failed) {
        return this == ALL || (this == FAILURES && failed);
    }
}
