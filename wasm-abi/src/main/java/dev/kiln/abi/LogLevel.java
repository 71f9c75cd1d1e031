package dev.kiln.abi;

/** Guest log levels; the numeric level passed to {@code kiln.log} is the ordinal. */
public enum LogLevel {
    DEBUG,
    INFO,
    WARN,
    ERROR;

    /** The numeric level a guest passes for this value (the inverse of {@code byId}). */
    // The ABI defines the id as the ordinal (see above), so ordinal() is the definition here.
    @SuppressWarnings("EnumOrdinal")
    public int id() {
        return ordinal();
    }

    static LogLevel byId(long id) {
        return Ids.byOrdinal(values(), id);
    }
}
