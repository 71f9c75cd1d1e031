package dev.kiln.host.observability;

import dev.kiln.abi.GuestLogLine;
import java.time.Instant;
import java.util.List;

/**
 * What is kept of one invocation.
 *
 * @param outcome {@code ok} or the error code
 * @param startKind {@code pool}, {@code warm}, {@code cold}, or {@code null} if none started
 * @param errorMessage the client-visible error message, {@code null} when ok
 * @param attempt 0 for a synchronous invocation; for a queued event, the attempt this record shows
 *     (each attempt replaces the event's record, so it ends with the final outcome)
 */
public record InvocationRecord(
        String requestId,
        String service,
        String function,
        int version,
        String versionSha256,
        String trigger,
        Instant startedAt,
        long durationMicros,
        String outcome,
        int httpStatus,
        long bytesIn,
        long bytesOut,
        long fuel,
        String startKind,
        String errorMessage,
        List<GuestLogLine> logs,
        boolean logTruncated,
        int attempt) {

    public InvocationRecord {
        java.util.Objects.requireNonNull(requestId, "requestId");
        java.util.Objects.requireNonNull(service, "service");
        java.util.Objects.requireNonNull(function, "function");
        java.util.Objects.requireNonNull(trigger, "trigger");
        java.util.Objects.requireNonNull(startedAt, "startedAt");
        java.util.Objects.requireNonNull(outcome, "outcome");
        logs = List.copyOf(logs);
    }
}
