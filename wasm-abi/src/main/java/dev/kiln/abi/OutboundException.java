package dev.kiln.abi;

/**
 * An outbound HTTP request refused or failed; {@link #kind} says which code the guest sees. The
 * message is written for the function's log: it names the URL's origin and the reason, never host
 * internals.
 */
public final class OutboundException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Why, as the guest's error code (ABI.md section 4.13). */
    public enum Kind {
        /** {@link AbiV1#ERR_INVALID}: a malformed method or header. */
        INVALID(AbiV1.ERR_INVALID),
        /** {@link AbiV1#ERR_LIMIT}: the request body or header block is over its cap. */
        LIMIT(AbiV1.ERR_LIMIT),
        /** {@link AbiV1#ERR_UNAVAILABLE}: no outbound HTTP here (outside an invocation). */
        UNAVAILABLE(AbiV1.ERR_UNAVAILABLE),
        /** {@link AbiV1#ERR_DENIED}: not allowed by {@code allowedOutboundHosts}, or private. */
        DENIED(AbiV1.ERR_DENIED),
        /** {@link AbiV1#ERR_INVALID_URL}: not an absolute http(s) URL the host can send. */
        INVALID_URL(AbiV1.ERR_INVALID_URL),
        /** {@link AbiV1#ERR_TOO_MANY_REQUESTS}: the invocation's request count is used up. */
        TOO_MANY_REQUESTS(AbiV1.ERR_TOO_MANY_REQUESTS),
        /** {@link AbiV1#ERR_RESPONSE_TOO_LARGE}: the response passed the cap; reading stopped. */
        RESPONSE_TOO_LARGE(AbiV1.ERR_RESPONSE_TOO_LARGE),
        /**
         * {@link AbiV1#ERR_TIMEOUT}: the per-call timeout passed (not the invocation's deadline).
         */
        TIMEOUT(AbiV1.ERR_TIMEOUT),
        /** {@link AbiV1#ERR_CONNECT_FAILED}: name not resolved, connection refused, TLS failed. */
        CONNECT_FAILED(AbiV1.ERR_CONNECT_FAILED),
        /** {@link AbiV1#ERR_IO}: the exchange broke after connecting, or the response was bad. */
        IO(AbiV1.ERR_IO);

        private final int code;

        Kind(int code) {
            this.code = code;
        }

        /** The host call's return value. */
        public int code() {
            return code;
        }
    }

    private final Kind kind;

    public OutboundException(Kind kind, String message) {
        super(message, null, false, false);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
