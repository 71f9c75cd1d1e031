package dev.kiln.host.observability;

import java.util.List;
import java.util.Objects;

/**
 * The {@code record write} spans (docs/adr/0047): after a batch of invocation records commits, one
 * span per traced record, a child of its invocation's span, covering the batch's transaction. Made
 * on the record writer's thread, off the request path.
 */
final class RecordWriteSpans {
    // Set once at start by the composition root; read by the writer thread.
    private volatile Tracing tracing = Tracing.OFF;

    void use(Tracing tracing) {
        this.tracing = Objects.requireNonNull(tracing, "tracing");
    }

    /** Spans for the traced records of a batch that began at {@code began} (nanoTime). */
    void written(List<InvocationRecord> written, long began) {
        Tracing t = tracing;
        if (!t.on()) {
            return;
        }
        long ended = System.nanoTime();
        for (InvocationRecord r : written) {
            if (r.spanId() != null) {
                t.start(
                                "record write",
                                Tracing.Kind.INTERNAL,
                                new TraceContext(r.traceId(), r.spanId(), true, null),
                                false,
                                began)
                        .attribute("kiln.records_in_batch", written.size())
                        .end(ended);
            }
        }
    }
}
