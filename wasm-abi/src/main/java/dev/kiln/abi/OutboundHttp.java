package dev.kiln.abi;

/**
 * Outbound HTTP as one invocation's guest reaches it through {@code http_send} (ABI.md section
 * 4.13): the one place a request leaves the host, so that a recorder can keep each answer and a
 * replay can feed it back instead of calling out. The host's implementation is bound to one
 * invocation: its function's {@code allowedOutboundHosts}, its deadline and its response budget.
 */
public interface OutboundHttp {
    /** An invocation without outbound access: every request is denied. */
    OutboundHttp NONE =
            new OutboundHttp() {
                @Override
                public OutboundLimits limits() {
                    return OutboundLimits.DEFAULTS;
                }

                @Override
                public OutboundResponse send(OutboundRequest request) {
                    throw new OutboundException(
                            OutboundException.Kind.DENIED, "no outbound HTTP on this host");
                }
            };

    /** The caps the ABI checks before a request reaches {@link #send}. */
    OutboundLimits limits();

    /**
     * Sends one request and reads the whole response. Redirects are not followed.
     *
     * @throws OutboundException for every refusal and failure the guest sees as an error code
     * @throws HostDeadlineException when the invocation's deadline passed during the call
     */
    OutboundResponse send(OutboundRequest request);
}
