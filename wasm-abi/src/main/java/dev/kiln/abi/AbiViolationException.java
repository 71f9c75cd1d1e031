package dev.kiln.abi;

/**
 * A guest broke the ABI contract (a pointer outside its memory, a malformed packed result...).
 * Thrown out of host calls so that the invocation ends with {@code abi_violation}.
 */
public final class AbiViolationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public AbiViolationException(String message) {
        super(message, null, false, false);
    }
}
