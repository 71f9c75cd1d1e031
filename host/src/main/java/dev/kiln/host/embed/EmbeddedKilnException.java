package dev.kiln.host.embed;

import dev.kiln.host.core.KilnException;

/**
 * A refusal or failure of {@link EmbeddedKiln}, with the stable code the HTTP API would answer
 * ({@code invalid_module}, {@code function_not_found}, {@code guest_trap}, {@code timeout}, ...)
 * and, for an invocation, its request id.
 */
public final class EmbeddedKilnException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String code;
    private final String requestId;

    public EmbeddedKilnException(String code, String message, String requestId) {
        super(code + ": " + message + (requestId == null ? "" : " (request " + requestId + ")"));
        this.code = code;
        this.requestId = requestId;
    }

    static EmbeddedKilnException of(KilnException e, String requestId) {
        return new EmbeddedKilnException(e.code().wire(), e.getMessage(), requestId);
    }

    /** The stable error code (the API's {@code error.code}). */
    public String code() {
        return code;
    }

    /** The invocation's request id, or null for anything but an invocation. */
    public String requestId() {
        return requestId;
    }
}
