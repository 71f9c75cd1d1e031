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
 * @param memoryMiB the memory setting the invocation ran with (what GB-seconds are metered by)
 * @param keyId the id of the API key that invoked, or {@code null} for none (anonymous HTTP
 *     triggers, events and timers); usage is metered per key (docs/adr/0043)
 * @param traceId the W3C trace the invocation belongs to, or {@code null} for none (docs/adr/0047)
 * @param spanId the invocation's span, parent of its record-write span; not stored, {@code null}
 *     when read back or when no span was made
 * @param node the cluster node that ran the invocation (docs/adr/0057); {@code null} on a single
 *     node, and until the record is stored (the store names its own node)
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
        int attempt,
        int memoryMiB,
        String keyId,
        String traceId,
        String spanId,
        String node) {

    public InvocationRecord {
        java.util.Objects.requireNonNull(requestId, "requestId");
        java.util.Objects.requireNonNull(service, "service");
        java.util.Objects.requireNonNull(function, "function");
        java.util.Objects.requireNonNull(trigger, "trigger");
        java.util.Objects.requireNonNull(startedAt, "startedAt");
        java.util.Objects.requireNonNull(outcome, "outcome");
        logs = List.copyOf(logs);
    }

    /** A record not stored yet: the node that ran it is the store's. */
    public InvocationRecord(
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
            int attempt,
            int memoryMiB,
            String keyId,
            String traceId,
            String spanId) {
        this(
                requestId,
                service,
                function,
                version,
                versionSha256,
                trigger,
                startedAt,
                durationMicros,
                outcome,
                httpStatus,
                bytesIn,
                bytesOut,
                fuel,
                startKind,
                errorMessage,
                logs,
                logTruncated,
                attempt,
                memoryMiB,
                keyId,
                traceId,
                spanId,
                null);
    }

    /** This record with {@code lines} as its log lines (a stored record read back). */
    InvocationRecord withLogs(List<GuestLogLine> lines) {
        return copy(lines, node);
    }

    /** This record as run on {@code node}. */
    public InvocationRecord onNode(String node) {
        return copy(logs, node);
    }

    private InvocationRecord copy(List<GuestLogLine> logs, String node) {
        return new InvocationRecord(
                requestId,
                service,
                function,
                version,
                versionSha256,
                trigger,
                startedAt,
                durationMicros,
                outcome,
                httpStatus,
                bytesIn,
                bytesOut,
                fuel,
                startKind,
                errorMessage,
                logs,
                logTruncated,
                attempt,
                memoryMiB,
                keyId,
                traceId,
                spanId,
                node);
    }

    /** A record without a trace. */
    public InvocationRecord(
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
            int attempt,
            int memoryMiB,
            String keyId) {
        this(
                requestId,
                service,
                function,
                version,
                versionSha256,
                trigger,
                startedAt,
                durationMicros,
                outcome,
                httpStatus,
                bytesIn,
                bytesOut,
                fuel,
                startKind,
                errorMessage,
                logs,
                logTruncated,
                attempt,
                memoryMiB,
                keyId,
                null,
                null);
    }

    /** A record without a memory setting or key (metered as 0 MiB, anonymous). */
    public InvocationRecord(
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
        this(
                requestId,
                service,
                function,
                version,
                versionSha256,
                trigger,
                startedAt,
                durationMicros,
                outcome,
                httpStatus,
                bytesIn,
                bytesOut,
                fuel,
                startKind,
                errorMessage,
                logs,
                logTruncated,
                attempt,
                0,
                null);
    }

    /** Whether the invocation ended in an error (any outcome but {@code ok}). */
    public boolean failed() {
        return !"ok".equals(outcome);
    }
}
