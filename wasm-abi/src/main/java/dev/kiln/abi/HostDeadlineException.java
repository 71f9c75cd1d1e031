package dev.kiln.abi;

/** The invocation's deadline passed while the host was working for the guest: a timeout. */
public final class HostDeadlineException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public HostDeadlineException() {
        super("the deadline passed during a host call", null, false, false);
    }
}
