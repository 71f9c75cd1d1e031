package dev.kiln.host.invoke;

import dev.kiln.host.core.InvocationOutcome;
import dev.kiln.host.core.TriggerKind;
import dev.kiln.host.observability.InvocationRecord;
import dev.kiln.host.observability.InvocationStore;
import dev.kiln.host.observability.Metrics;
import dev.kiln.host.registry.FunctionInfo;
import dev.kiln.host.registry.Target;
import dev.kiln.host.sandbox.SandboxResult;
import java.time.Instant;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Writes each invocation's record (to the {@link InvocationStore}, off the request path), counts
 * its outcome in {@code kiln_invocations_total} and logs a failure.
 */
final class InvocationRecords {
    // The invoker's logger: where an invocation's failure has always been logged.
    private static final Logger log = LoggerFactory.getLogger(Invoker.class);

    private final InvocationStore records;
    private final Metrics.Counter invocations;

    InvocationRecords(InvocationStore records, Metrics metrics) {
        this.records = records;
        this.invocations =
                metrics.counter(
                        "kiln_invocations_total",
                        "Invocations that ran, by outcome (ok or an error code).",
                        "service",
                        "function",
                        "outcome");
    }

    /** Drops the metric series of a deleted function ({@code labels}: service and function). */
    void forget(Map<String, String> labels) {
        invocations.removeWhere(labels);
    }

    void write(
            InvocationRequest request,
            Target target,
            Instant startedAt,
            InvocationResult outcome,
            SandboxResult result,
            InvocationSpan span) {
        FunctionInfo function = target.function();
        String code;
        int status;
        long bytesOut = 0;
        String message = null;
        if (result.outcome() instanceof InvocationOutcome.Ok ok) {
            code = ok.wire();
            invocations.inc(function.service(), function.name(), code);
            status = TriggerKind.HTTP.wire().equals(request.trigger()) ? ok.status() : 200;
            bytesOut = ok.body().length;
        } else {
            var failure = (InvocationOutcome.Failure) result.outcome();
            code = failure.wire();
            invocations.inc(function.service(), function.name(), code);
            status = failure.code().httpStatus();
            message = failure.message();
            MDC.put("outcome", code);
            log.info(
                    "invocation of {}/{} failed: {}",
                    request.service(),
                    request.function(),
                    message);
            MDC.remove("outcome");
        }
        var record =
                new InvocationRecord(
                        request.requestId(),
                        // The registry's strings, not the request's: the same instances every
                        // time, so the record writer's maps (usage, statistics) reuse their
                        // cached hashes instead of hashing fresh copies of the names per record.
                        function.service(),
                        function.name(),
                        target.version().number(),
                        target.version().sha256(),
                        request.trigger(),
                        startedAt,
                        outcome.durationMicros(),
                        code,
                        status,
                        request.payload().length,
                        bytesOut,
                        outcome.fuel(),
                        outcome.startKind() == null ? null : outcome.startKind().wire(),
                        message,
                        result.logs(),
                        result.logTruncated(),
                        request.attempt(),
                        target.settings().memoryMiB(),
                        request.keyId(),
                        request.trace() == null ? null : request.trace().traceId(),
                        // The record-write span's parent; a trace not sampled gets none.
                        span == null || !span.context().sampled() ? null : span.context().spanId());
        // An event's attempt waits for room rather than lose its record: the dispatcher takes the
        // event off its queue after flushing the records, so a dropped record would be an event
        // gone without trace. At most asyncWorkers threads wait so; requests never do. A record
        // the store refuses is counted and reported there, once a minute (docs/adr/0062); a
        // request's is not logged here as well, which at the rate that fills the queue would be
        // thousands of lines a second. An event's, lost after waiting, is rare and worth a line.
        if (request.attempt() == 0) {
            records.submit(record);
        } else if (!records.submitWaiting(record)) {
            log.warn(
                    "the record of attempt {} of an event for {}/{} was not stored: the record"
                            + " queue stayed full",
                    request.attempt(),
                    request.service(),
                    request.function());
        }
    }
}
