package dev.kiln.host.events;

import dev.kiln.host.observability.TraceContext;
import java.time.Instant;

/**
 * A stored event, as a worker or the API sees it.
 *
 * @param seq the queue's own position number
 * @param attempts attempts made so far, counting the one a lease starts
 * @param dueAt when it may run next
 * @param lastError the error code of the last failed attempt, or {@code null}
 * @param qualifier what selects the version it runs (docs/adr/0037); {@code null} is LATEST
 * @param trace the position in a W3C trace its attempts continue, or {@code null} (docs/adr/0047)
 */
public record QueuedEvent(
        long seq,
        EventFields fields,
        int depth,
        Instant createdAt,
        int attempts,
        Instant dueAt,
        String lastError,
        String lastMessage,
        String qualifier,
        TraceContext trace)
        implements AnEvent {

    /** A stored event outside any trace. */
    public QueuedEvent(
            long seq,
            EventFields fields,
            int depth,
            Instant createdAt,
            int attempts,
            Instant dueAt,
            String lastError,
            String lastMessage,
            String qualifier) {
        this(
                seq,
                fields,
                depth,
                createdAt,
                attempts,
                dueAt,
                lastError,
                lastMessage,
                qualifier,
                null);
    }
}
