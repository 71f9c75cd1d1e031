package dev.kiln.host.core;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A test seam in a background loop's work, for the tests that prove the loop survives an {@link
 * Error} (docs/adr/0030): a test arms it, and the next {@link #pass} on the loop's thread throws
 * that Error once. Never armed outside tests, it costs one volatile read per pass. Each loop holds
 * its own as a package-private static field, so only tests in the loop's package can arm it.
 */
public final class FaultPoint {
    private final AtomicReference<Error> armed = new AtomicReference<>();
    private final AtomicInteger thrown = new AtomicInteger();

    /** The next {@link #pass} throws {@code fault}. */
    public void armOnce(Error fault) {
        armed.set(fault);
    }

    /** Forgets a fault that was armed and not thrown. */
    public void disarm() {
        armed.set(null);
    }

    /** How many armed faults were thrown. */
    public int thrown() {
        return thrown.get();
    }

    /** Throws the armed fault, if any; called where the loop does its work. */
    public void pass() {
        if (armed.get() != null) {
            Error fault = armed.getAndSet(null);
            if (fault != null) {
                thrown.incrementAndGet();
                throw fault;
            }
        }
    }
}
