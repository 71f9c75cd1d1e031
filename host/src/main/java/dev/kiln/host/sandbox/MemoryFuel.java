package dev.kiln.host.sandbox;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.Memory;

/**
 * The fuel counter as rewritten guest code reaches it (docs/adr/0065): a field of the instance's
 * linear memory, the one object of Kiln's that every compiled function receives. Public only
 * because the generated classes live in Chicory's class loader; nothing else calls it.
 */
public final class MemoryFuel {
    private MemoryFuel() {}

    /**
     * The fuel left; {@code memory} is always a {@link ResettableMemory} (only those are given).
     */
    public static long get(Memory memory) {
        return ((ResettableMemory) memory).fuel;
    }

    /** Sets the fuel left. */
    public static void set(long value, Memory memory) {
        ((ResettableMemory) memory).fuel = value;
    }

    /**
     * Stops the guest when its thread was interrupted (its deadline passed), as Chicory's own check
     * does: where a loop header wrote its fuel back, which replaces the check on every back edge
     * (docs/adr/0082).
     */
    public static void checkpoint() {
        if (Thread.currentThread().isInterrupted()) {
            throw new ChicoryInterruptedException("Thread interrupted");
        }
    }
}
