package dev.kiln.cli;

/**
 * A failure of the CLI itself (not an answer of the API), printed as {@code error: <code>:
 * <message>} with a non-zero exit like the API's errors.
 */
final class CliFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String code;
    private final int exitCode;

    CliFailure(String code, String message) {
        this(code, message, 1);
    }

    CliFailure(String code, String message, int exitCode) {
        super(message);
        this.code = code;
        this.exitCode = exitCode;
    }

    String code() {
        return code;
    }

    int exitCode() {
        return exitCode;
    }
}
