package dev.kiln.abi;

/**
 * What one invocation may do with outbound HTTP (ABI.md section 4.13, docs/adr/0040). The
 * configurable caps are the record's components; the fixed ones (part of the guest contract) are
 * constants.
 *
 * @param maxRequestsPerInvocation {@code http_send} calls one invocation may make; later calls
 *     return {@link AbiV1#ERR_TOO_MANY_REQUESTS}
 * @param maxRequestBodyBytes bytes of one request body; more is {@link AbiV1#ERR_LIMIT}
 * @param maxResponseBytesPerInvocation bytes of all responses (header fields and bodies) one
 *     invocation may receive together, which bounds what the host holds for it; the response that
 *     would pass it is {@link AbiV1#ERR_RESPONSE_TOO_LARGE} and the host stops reading it
 * @param callTimeoutMillis longest one request may take, from resolving the name to the last byte
 *     of the body; the invocation's deadline cuts it shorter
 */
public record OutboundLimits(
        int maxRequestsPerInvocation,
        int maxRequestBodyBytes,
        long maxResponseBytesPerInvocation,
        long callTimeoutMillis) {

    /** Longest URL, in bytes. */
    public static final int MAX_URL_BYTES = 8 * 1024;

    /** Longest method name. */
    public static final int MAX_METHOD_BYTES = 32;

    /** Most request header fields a guest may send. */
    public static final int MAX_REQUEST_HEADERS = 100;

    /** Longest encoded request header block ({@code name NUL value NUL} …). */
    public static final int MAX_REQUEST_HEADER_BYTES = 64 * 1024;

    /** Most response header fields the host reads; more is {@link AbiV1#ERR_RESPONSE_TOO_LARGE}. */
    public static final int MAX_RESPONSE_HEADERS = 100;

    /** Longest response header block the host reads (status line and fields). */
    public static final int MAX_RESPONSE_HEADER_BYTES = 64 * 1024;

    public static final OutboundLimits DEFAULTS =
            new OutboundLimits(16, 4 * 1024 * 1024, 8L * 1024 * 1024, 10_000);

    public OutboundLimits {
        if (maxRequestsPerInvocation < 0
                || maxRequestBodyBytes < 0
                || maxResponseBytesPerInvocation < 0
                || callTimeoutMillis < 1) {
            throw new IllegalArgumentException(
                    "outbound limits must not be negative and the call timeout positive");
        }
    }
}
