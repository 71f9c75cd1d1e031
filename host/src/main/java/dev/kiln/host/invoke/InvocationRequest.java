package dev.kiln.host.invoke;

import dev.kiln.abi.HttpRequestMeta;

/**
 * An invocation as a trigger hands it to the {@link Invoker}.
 *
 * @param trigger {@code invoke} or {@code http}
 * @param http request metadata for the HTTP trigger, else {@code null}
 * @param attempt 0 for a synchronous invocation; for a queued event, which attempt this is (1 = the
 *     first)
 */
public record InvocationRequest(
        String requestId,
        String service,
        String function,
        String trigger,
        byte[] payload,
        HttpRequestMeta http,
        int attempt) {

    /** A synchronous invocation. */
    public InvocationRequest(
            String requestId,
            String service,
            String function,
            String trigger,
            byte[] payload,
            HttpRequestMeta http) {
        this(requestId, service, function, trigger, payload, http, 0);
    }
}
