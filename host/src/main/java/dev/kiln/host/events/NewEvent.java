package dev.kiln.host.events;

import dev.kiln.host.core.FunctionName;
import java.util.Objects;

/**
 * An event to store for one function.
 *
 * @param requestId the id its invocation records carry; unique
 * @param trigger what the guest sees as its trigger: {@code invoke}, {@code event} or {@code timer}
 * @param source where it came from, for people: {@code invoke}, {@code topic:<name>}, {@code
 *     timer:<trigger id>}, {@code on_success:<s>/<f>}, {@code on_failure:<s>/<f>}, {@code
 *     dead_letter:<s>/<f>}
 * @param depth 0 for an event from a client or trigger; a destination's event is one deeper, and
 *     only depth-0 events produce destination events (so destinations never loop)
 * @param qualifier what selects the version it runs when it runs (docs/adr/0037); {@code null} is
 *     LATEST
 */
public record NewEvent(
        String requestId,
        String service,
        String function,
        String trigger,
        String source,
        byte[] payload,
        int depth,
        String qualifier) {

    public NewEvent {
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(function, "function");
        Objects.requireNonNull(trigger, "trigger");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(payload, "payload");
    }

    /** The function it is for. */
    public FunctionName functionKey() {
        return new FunctionName(service, function);
    }
}
