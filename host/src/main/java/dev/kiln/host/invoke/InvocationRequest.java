package dev.kiln.host.invoke;

import dev.kiln.abi.HttpRequestMeta;
import dev.kiln.host.observability.TraceContext;

/**
 * An invocation as a trigger hands it to the {@link Invoker}.
 *
 * @param trigger {@code invoke} or {@code http}
 * @param http request metadata for the HTTP trigger, else {@code null}
 * @param attempt 0 for a synchronous invocation; for a queued event, which attempt this is (1 = the
 *     first)
 * @param qualifier what selects the version: {@code LATEST}, a version number or an alias name;
 *     {@code null} is {@code LATEST} (docs/adr/0037)
 * @param pin the version the caller wants among those the qualifier runs, or 0 to let an alias's
 *     weights choose
 * @param keyId the id of the API key that invoked, or {@code null} for none; usage is metered per
 *     key (docs/adr/0043)
 * @param trace where the invocation sits in a W3C trace: the caller's span it is a child of, or
 *     {@code null} for none (docs/adr/0047)
 * @param forwarded set when another cluster node forwarded this invocation here (docs/adr/0056): it
 *     is never forwarded again and must end by its deadline; {@code null} for a local one
 */
public record InvocationRequest(
        String requestId,
        String service,
        String function,
        String trigger,
        byte[] payload,
        HttpRequestMeta http,
        int attempt,
        String qualifier,
        int pin,
        String keyId,
        TraceContext trace,
        Forwarded forwarded) {

    /**
     * A forwarded invocation's origin and deadline.
     *
     * @param from the name of the node that forwarded it
     * @param deadlineNanos when ({@link System#nanoTime()} on this node) its caller's budget ends:
     *     waiting and running both stop there
     */
    public record Forwarded(String from, long deadlineNanos) {}

    /** A request made on this node. */
    public InvocationRequest(
            String requestId,
            String service,
            String function,
            String trigger,
            byte[] payload,
            HttpRequestMeta http,
            int attempt,
            String qualifier,
            int pin,
            String keyId,
            TraceContext trace) {
        this(
                requestId, service, function, trigger, payload, http, attempt, qualifier, pin,
                keyId, trace, null);
    }

    /** A request outside any trace. */
    public InvocationRequest(
            String requestId,
            String service,
            String function,
            String trigger,
            byte[] payload,
            HttpRequestMeta http,
            int attempt,
            String qualifier,
            int pin,
            String keyId) {
        this(
                requestId, service, function, trigger, payload, http, attempt, qualifier, pin,
                keyId, null, null);
    }

    /** A request made without a key (events, timers, anonymous HTTP triggers). */
    public InvocationRequest(
            String requestId,
            String service,
            String function,
            String trigger,
            byte[] payload,
            HttpRequestMeta http,
            int attempt,
            String qualifier,
            int pin) {
        this(
                requestId, service, function, trigger, payload, http, attempt, qualifier, pin, null,
                null, null);
    }
}
