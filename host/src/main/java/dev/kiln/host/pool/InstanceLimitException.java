package dev.kiln.host.pool;

/**
 * No instance could be had: the function or the host is at its instance limit and nothing idle
 * could be given up, or an instance being created did not become ready before the invocation's
 * queue deadline. Callers answer {@code overloaded}.
 */
public final class InstanceLimitException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final boolean timedOut;

    InstanceLimitException(String message, boolean timedOut) {
        super(message, null, false, false);
        this.timedOut = timedOut;
    }

    /** True when the invocation waited for an instance until its queue deadline. */
    public boolean timedOut() {
        return timedOut;
    }
}
