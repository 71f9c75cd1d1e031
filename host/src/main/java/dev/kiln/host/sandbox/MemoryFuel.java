package dev.kiln.host.sandbox;

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
}
