package dev.kiln.host.events;

import dev.kiln.host.observability.TraceContext;
import java.util.Objects;

/**
 * An event to store for one function.
 *
 * @param depth 0 for an event from a client or trigger; a destination's event is one deeper, and
 *     only depth-0 events produce destination events (so destinations never loop)
 * @param qualifier what selects the version it runs when it runs (docs/adr/0037); {@code null} is
 *     LATEST
 * @param trace the position in a W3C trace its attempts continue, or {@code null} (docs/adr/0047)
 */
public record NewEvent(EventFields fields, int depth, String qualifier, TraceContext trace)
        implements AnEvent {

    public NewEvent {
        Objects.requireNonNull(fields, "fields");
    }

    /** An event outside any trace. */
    public NewEvent(EventFields fields, int depth, String qualifier) {
        this(fields, depth, qualifier, null);
    }
}
