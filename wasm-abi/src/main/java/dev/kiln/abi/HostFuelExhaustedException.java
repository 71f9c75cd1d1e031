package dev.kiln.abi;

/**
 * A host call's cost took the guest's fuel below zero: the invocation ends with {@code
 * fuel_exhausted}, before the host does the work.
 */
public final class HostFuelExhaustedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public HostFuelExhaustedException() {
        super("the fuel ran out during a host call", null, false, false);
    }
}
