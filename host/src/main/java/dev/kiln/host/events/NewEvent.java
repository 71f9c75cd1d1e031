package dev.kiln.host.events;

import java.util.Objects;

/**
 * An event to store for one function.
 *
 * @param depth 0 for an event from a client or trigger; a destination's event is one deeper, and
 *     only depth-0 events produce destination events (so destinations never loop)
 * @param qualifier what selects the version it runs when it runs (docs/adr/0037); {@code null} is
 *     LATEST
 */
public record NewEvent(EventFields fields, int depth, String qualifier) implements AnEvent {

    public NewEvent {
        Objects.requireNonNull(fields, "fields");
    }
}
