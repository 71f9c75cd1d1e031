package dev.kiln.host.invoke;

import dev.kiln.host.core.InvocationOutcome;
import dev.kiln.host.observability.TraceContext;
import dev.kiln.host.observability.Tracing;
import java.util.function.Consumer;

/**
 * The spans of one traced invocation (docs/adr/0047): {@code invoke <service>/<function>} from
 * submission to answer, and as its children {@code queue wait} (submission to a worker), {@code
 * instance acquire} (a pooled, new or compiled instance) and {@code guest run}. The phases are
 * noted as {@link System#nanoTime()} stamps on the worker and turned into spans when the answer
 * goes out, so the invocation path makes no span object between those points.
 *
 * <p>Exists only for an invocation in a sampled trace while tracing is on; everything else passes
 * {@code null}.
 */
final class InvocationSpan {
    private final Tracing.Span span;
    private final long submitted;
    // Written by the worker that runs the invocation, read by the same thread when it answers.
    private long workerStarted;
    private long acquireStarted;
    private long acquired;
    private long guestEnded;

    private InvocationSpan(Tracing.Span span, long submitted) {
        this.span = span;
        this.submitted = submitted;
    }

    /** The span of {@code request}, started at {@code submitted}; null when it is not traced. */
    static InvocationSpan start(Tracing tracing, InvocationRequest request, long submitted) {
        if (request.trace() == null || !tracing.on() || !request.trace().sampled()) {
            return null; // a trace not sampled records nothing: it is only passed on
        }
        Tracing.Span span =
                tracing.start(
                        "invoke " + request.service() + "/" + request.function(),
                        Tracing.Kind.INTERNAL,
                        request.trace(),
                        false,
                        submitted);
        span.attribute("faas.invocation_id", request.requestId())
                .attribute("kiln.trigger", request.trigger())
                .attribute("kiln.attempt", request.attempt());
        return new InvocationSpan(span, submitted);
    }

    /** The invocation span's position: what outbound calls and the record hang under. */
    TraceContext context() {
        return span.context();
    }

    /** The phase boundaries the worker notes. */
    enum Phase {
        WORKER_STARTED,
        ACQUIRING,
        ACQUIRED,
        GUEST_ENDED
    }

    /** Notes that {@code phase} is reached now; nothing when {@code span} is null. */
    static void mark(InvocationSpan span, Phase phase) {
        if (span == null) {
            return;
        }
        long now = System.nanoTime();
        switch (phase) {
            case WORKER_STARTED -> span.workerStarted = now;
            case ACQUIRING -> span.acquireStarted = now;
            case ACQUIRED -> span.acquired = now;
            case GUEST_ENDED -> span.guestEnded = now;
        }
    }

    /** {@code answer}, after ending the spans with the result. */
    Consumer<InvocationResult> ending(Consumer<InvocationResult> answer) {
        return result -> {
            finish(result);
            answer.accept(result);
        };
    }

    private void finish(InvocationResult result) {
        long now = System.nanoTime();
        span.child("queue wait", submitted, workerStarted != 0 ? workerStarted : now);
        if (acquireStarted != 0) {
            long got = acquired != 0 ? acquired : now;
            span.child("instance acquire", acquireStarted, got);
            if (acquired != 0) {
                span.child("guest run", acquired)
                        .attribute("kiln.fuel", result.fuel())
                        .end(guestEnded != 0 ? guestEnded : now);
            }
        }
        InvocationOutcome outcome = result.outcome();
        span.attribute("kiln.outcome", outcome.wire());
        if (result.startKind() != null) {
            span.attribute("kiln.start", result.startKind().wire());
        }
        if (result.version() > 0) {
            span.attribute("kiln.version", result.version());
        }
        if (outcome instanceof InvocationOutcome.Failure) {
            span.failed(outcome.wire());
        }
        span.end(now);
    }
}
