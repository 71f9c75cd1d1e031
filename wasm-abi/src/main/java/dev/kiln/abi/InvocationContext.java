package dev.kiln.abi;

import java.util.Map;

/**
 * What the host tells a guest about the invocation it is serving.
 *
 * @param trigger {@code invoke}, {@code http}, {@code event} (topic or destination) or {@code
 *     timer}
 * @param http request metadata for the HTTP trigger; {@code null} for other triggers
 * @param config the function's env/config map
 */
public record InvocationContext(
        String requestId,
        String service,
        String function,
        String version,
        String trigger,
        long deadlineEpochMillis,
        HttpRequestMeta http,
        Map<String, String> config) {
    public InvocationContext {
        config = Map.copyOf(config);
    }
}
