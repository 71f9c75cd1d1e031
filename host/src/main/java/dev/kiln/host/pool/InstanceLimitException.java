package dev.kiln.host.pool;

/**
 * No instance could be had: the function or the host is at its instance limit and nothing idle
 * could be given up. Callers answer {@code overloaded}.
 */
public final class InstanceLimitException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    InstanceLimitException(String message) {
        super(message, null, false, false);
    }
}
