package dev.kiln.host.observability;

import dev.kiln.abi.LogLevel;
import java.time.Instant;

/**
 * Which guest log lines a follower wants.
 *
 * @param minLevel the lowest level sent, or null for every level
 * @param requestId only this invocation's lines, or null for every invocation's
 * @param since lines written at or after this time are sent first from storage, or null for live
 *     lines only
 */
public record LogFilter(LogLevel minLevel, String requestId, Instant since) {
    public static final LogFilter ALL = new LogFilter(null, null, null);

    public boolean matches(LogEntry e) {
        if (minLevel != null && e.line().level().compareTo(minLevel) < 0) {
            return false;
        }
        if (requestId != null && !requestId.equals(e.requestId())) {
            return false;
        }
        return since == null || e.line().epochMillis() >= since.toEpochMilli();
    }
}
