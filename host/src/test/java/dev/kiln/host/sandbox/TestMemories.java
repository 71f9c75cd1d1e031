package dev.kiln.host.sandbox;

import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.MemoryLimits;

/** Kiln's linear memory for tests outside this package that run modules on Chicory directly. */
public final class TestMemories {
    private TestMemories() {}

    /** A fresh memory in {@code strategy}'s layout (flat for {@link ResetStrategy#FLAT}). */
    public static Memory of(MemoryLimits limits, ResetStrategy strategy) {
        return ResettableMemory.create(limits, strategy);
    }
}
