package dev.kiln.abi;

/** Guest log levels; the numeric level passed to {@code kiln.log} is the ordinal. */
public enum LogLevel {
    DEBUG,
    INFO,
    WARN,
    ERROR;

    static LogLevel byId(long id) {
        return Ids.byOrdinal(values(), id);
    }
}
