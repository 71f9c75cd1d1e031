package dev.kiln.host.core;

/**
 * A failure with a stable {@link ErrorCode} and a message that is safe to show a client: it must
 * never contain host paths, stack traces or other internals.
 */
public class KilnException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ErrorCode code;

    public KilnException(ErrorCode code, String clientMessage) {
        super(clientMessage);
        this.code = code;
    }

    public KilnException(ErrorCode code, String clientMessage, Throwable cause) {
        super(clientMessage, cause);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }
}
