package dev.kiln.host.sandbox;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.MutabilityType;
import java.util.ArrayList;
import java.util.List;

/**
 * Memory and mutable globals of an instance right after {@code kiln_init}: restoring it gives a
 * used instance the state of a fresh one, without re-running data segments or init.
 */
final class InstanceSnapshot {
    private final byte[] memory;
    private final int pages;
    private final int[] globals;
    private final long[] low;
    private final long[] high;

    private InstanceSnapshot(byte[] memory, int pages, int[] globals, long[] low, long[] high) {
        this.memory = memory;
        this.pages = pages;
        this.globals = globals;
        this.low = low;
        this.high = high;
    }

    static InstanceSnapshot of(Instance instance) {
        Memory mem = instance.memory();
        int pages = mem.pages();
        List<Integer> mutable = new ArrayList<>();
        for (int i = 0; i < instance.globalCount(); i++) {
            if (instance.global(i).getMutabilityType() == MutabilityType.Var) {
                mutable.add(i);
            }
        }
        int[] idx = mutable.stream().mapToInt(Integer::intValue).toArray();
        long[] low = new long[idx.length];
        long[] high = new long[idx.length];
        for (int k = 0; k < idx.length; k++) {
            low[k] = instance.global(idx[k]).getValueLow();
            high[k] = instance.global(idx[k]).getValueHigh();
        }
        return new InstanceSnapshot(
                mem.readBytes(0, pages * Memory.PAGE_SIZE), pages, idx, low, high);
    }

    /**
     * Restores {@code instance} to this snapshot. Returns false, changing nothing, when it cannot:
     * memory has grown (Wasm memory never shrinks), so the instance must be discarded.
     */
    boolean restore(Instance instance) {
        Memory mem = instance.memory();
        if (mem.pages() != pages) {
            return false;
        }
        mem.write(0, memory, 0, memory.length);
        for (int k = 0; k < globals.length; k++) {
            var g = instance.global(globals[k]);
            g.setValueLow(low[k]);
            g.setValueHigh(high[k]);
        }
        return true;
    }

    long bytes() {
        return memory.length;
    }
}
