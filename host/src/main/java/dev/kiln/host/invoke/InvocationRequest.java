package dev.kiln.host.invoke;

import dev.kiln.abi.HttpRequestMeta;

/**
 * An invocation as a trigger hands it to the {@link Invoker}.
 *
 * @param trigger {@code invoke} or {@code http}
 * @param http request metadata for the HTTP trigger, else {@code null}
 */
public record InvocationRequest(
        String requestId,
        String service,
        String function,
        String trigger,
        byte[] payload,
        HttpRequestMeta http) {}
