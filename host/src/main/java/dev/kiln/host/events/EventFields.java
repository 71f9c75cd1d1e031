package dev.kiln.host.events;

import java.util.Objects;

/**
 * What an event is, from its arrival to its dead letter: a new, a queued and a dead-lettered event
 * all carry these.
 *
 * @param requestId the id its invocation records carry; unique
 * @param trigger what the guest sees as its trigger: {@code invoke}, {@code event} or {@code timer}
 * @param source where it came from, for people: {@code invoke}, {@code topic:<name>}, {@code
 *     timer:<trigger id>}, {@code on_success:<s>/<f>}, {@code on_failure:<s>/<f>}, {@code
 *     dead_letter:<s>/<f>}
 */
public record EventFields(
        String requestId,
        String service,
        String function,
        String trigger,
        String source,
        byte[] payload) {

    public EventFields {
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(function, "function");
        Objects.requireNonNull(trigger, "trigger");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(payload, "payload");
    }
}
