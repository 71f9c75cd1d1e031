package dev.kiln.host.pool;

import dev.kiln.host.sandbox.GuestInstance;
import dev.kiln.host.sandbox.ModuleValidator;

/**
 * How much heap the things the {@link MemoryBudget} counts hold, as figures cheap enough to take on
 * every release (docs/adr/0028-memory-budget-and-per-version-snapshots.md).
 *
 * <p>Linear memory is counted as it really is held: a snapshot's non-zero 4 KiB chunks once per
 * function version, and per instance only the chunks it copied on write (plus spares), never the
 * chunks it shares with its snapshot. Compiled code is an estimate: Chicory does not say how big
 * its classes are, and most of it lives in metaspace, outside the heap.
 */
final class MemoryEstimates {
    /**
     * Fixed cost of one instance beyond its memory: Chicory's instance objects (globals, tables,
     * exports, machine), the host-call state and pool bookkeeping. perf/README.md (density)
     * measured ~7 KiB; counted at 16 KiB to stay on the safe side.
     */
    static final long INSTANCE_OVERHEAD_BYTES = 16 * 1024;

    /** Fixed cost of one compiled module: class metadata and loader. */
    static final long CODE_OVERHEAD_BYTES = 64 * 1024;

    /**
     * Heap and metaspace per byte of module: Chicory keeps the parse tree of the instrumented
     * module (~45 bytes per module byte in the density run) and the generated classes take
     * metaspace (~66 KiB for a 333-byte module). 64 per byte plus the overhead gives 85 KiB for
     * that module, against ~81 KiB measured.
     */
    static final long CODE_BYTES_PER_MODULE_BYTE = 64;

    private MemoryEstimates() {}

    /**
     * What compiling {@code wasm} will hold: {@link #CODE_BYTES_PER_MODULE_BYTE} per byte of
     * everything but the data section, whose segments Chicory keeps as they are (one byte each).
     * Counting data like code made an 11.5 MB Python module (8.9 MB of data) 737 MB.
     */
    static long compiledCode(byte[] wasm) {
        long data = Math.min(ModuleValidator.dataSectionBytes(wasm), wasm.length);
        return CODE_OVERHEAD_BYTES + CODE_BYTES_PER_MODULE_BYTE * (wasm.length - data) + data;
    }

    /**
     * What a module holds whose code is shared with one compiled earlier (docs/adr/0052): its own
     * data segments and module object; the classes and the parse tree are counted with the first.
     * While that first one is evicted and the others still run, the shared part is not counted.
     */
    static long sharedCode(byte[] wasm) {
        return CODE_OVERHEAD_BYTES + Math.min(ModuleValidator.dataSectionBytes(wasm), wasm.length);
    }

    /** What {@code instance} holds now, beyond what it shares with its snapshot. */
    static long instance(GuestInstance instance) {
        return INSTANCE_OVERHEAD_BYTES + instance.memoryHeapBytes();
    }
}
