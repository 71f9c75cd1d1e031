package dev.kiln.client;

import java.util.OptionalLong;

/**
 * An error answer of Kiln, {@code {"error":{"code","message","requestId"}}}, with its HTTP status.
 * The {@link #code()} is stable (snake_case, e.g. {@code function_not_found}, {@code guest_trap},
 * {@code rate_limited}); a host that could not be reached is {@code connection_failed} with status
 * 0.
 */
public final class KilnException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String code;
    private final String apiMessage;
    private final String requestId;
    private final int status;
    private final long retryAfterSeconds;

    /**
     * @param retryAfterSeconds what {@code Retry-After} said, or -1 without one
     */
    public KilnException(
            String code, String message, String requestId, int status, long retryAfterSeconds) {
        super(
                code
                        + " ("
                        + status
                        + "): "
                        + message
                        + (requestId == null ? "" : " [request " + requestId + "]"));
        this.code = code;
        this.apiMessage = message;
        this.requestId = requestId;
        this.status = status;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** The stable error code. */
    public String code() {
        return code;
    }

    /** The API's message alone ({@link #getMessage()} has the code and status around it). */
    public String apiMessage() {
        return apiMessage;
    }

    /** The request id, or null when the answer had none. */
    public String requestId() {
        return requestId;
    }

    /** The HTTP status, 0 when Kiln was not reached. */
    public int status() {
        return status;
    }

    /** Seconds Kiln asked to wait ({@code Retry-After} on 429 and 503). */
    public OptionalLong retryAfterSeconds() {
        return retryAfterSeconds < 0 ? OptionalLong.empty() : OptionalLong.of(retryAfterSeconds);
    }
}
