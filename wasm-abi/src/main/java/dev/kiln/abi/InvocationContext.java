package dev.kiln.abi;

import java.util.Map;

/**
 * What the host tells a guest about the invocation it is serving.
 *
 * @param trigger {@code invoke}, {@code http}, {@code event} (topic or destination) or {@code
 *     timer}
 * @param http request metadata for the HTTP trigger; {@code null} for other triggers
 * @param config the function's env/config map
 * @param kv the key-value store of the function's service ({@link KvBucket#NONE} for none)
 * @param inputs where clock, random, config and WASI answers come from: {@link HostInputs#LIVE}, or
 *     a recorder or replay of them (docs/adr/0041)
 * @param outbound outbound HTTP bound to this invocation ({@link OutboundHttp#NONE}: all denied;
 *     recorded or answered from a recording like {@code inputs})
 */
public record InvocationContext(
        String requestId,
        String service,
        String function,
        String version,
        String trigger,
        long deadlineEpochMillis,
        HttpRequestMeta http,
        Map<String, String> config,
        KvBucket kv,
        HostInputs inputs,
        OutboundHttp outbound) {
    public InvocationContext {
        config = Map.copyOf(config);
        java.util.Objects.requireNonNull(kv, "kv");
        java.util.Objects.requireNonNull(inputs, "inputs");
        java.util.Objects.requireNonNull(outbound, "outbound");
    }

    /**
     * A context whose nondeterministic inputs come from the world ({@link HostInputs#LIVE}) and
     * without outbound HTTP: every {@code http_send} is denied.
     */
    public InvocationContext(
            String requestId,
            String service,
            String function,
            String version,
            String trigger,
            long deadlineEpochMillis,
            HttpRequestMeta http,
            Map<String, String> config,
            KvBucket kv) {
        this(
                requestId,
                service,
                function,
                version,
                trigger,
                deadlineEpochMillis,
                http,
                config,
                kv,
                HostInputs.LIVE,
                OutboundHttp.NONE);
    }

    /** A context without a key-value store: the guest's {@code kv_*} calls are unavailable. */
    public InvocationContext(
            String requestId,
            String service,
            String function,
            String version,
            String trigger,
            long deadlineEpochMillis,
            HttpRequestMeta http,
            Map<String, String> config) {
        this(
                requestId,
                service,
                function,
                version,
                trigger,
                deadlineEpochMillis,
                http,
                config,
                KvBucket.NONE);
    }
}
