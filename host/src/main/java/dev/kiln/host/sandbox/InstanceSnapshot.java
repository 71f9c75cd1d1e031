package dev.kiln.host.sandbox;

import com.dylibso.chicory.runtime.GlobalInstance;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.wasm.types.Element;
import com.dylibso.chicory.wasm.types.MutabilityType;
import java.util.ArrayList;
import java.util.List;

/**
 * An instance's state right after {@code kiln_init}: memory, mutable globals, and — when the code
 * can change them — tables and dropped segments. Applying it gives any instance of the module the
 * state of a freshly initialised one, without re-running data segments or init (the way a Wizer
 * snapshot does, but at run time). Immutable and shared by all instances of one function version
 * ({@link InitialState}).
 */
final class InstanceSnapshot {
    private final MemoryImage memory;
    private final int[] globals;
    private final long[] low;
    private final long[] high;

    /** Per table, its entries; null when the code never changes tables. */
    private final int[][] tableRefs;

    /** Whether each table entry belonged to the snapshot's instance (else: to none). */
    private final boolean[][] tableOwned;

    /** Element segments (some maybe dropped); null when the code never drops them. */
    private final Element[] elements;

    private InstanceSnapshot(
            MemoryImage memory,
            int[] globals,
            long[] low,
            long[] high,
            int[][] tableRefs,
            boolean[][] tableOwned,
            Element[] elements) {
        this.memory = memory;
        this.globals = globals;
        this.low = low;
        this.high = high;
        this.tableRefs = tableRefs;
        this.tableOwned = tableOwned;
        this.elements = elements;
    }

    // A table entry is this instance's own function when it points at this very instance.
    @SuppressWarnings("ReferenceEquality")
    static InstanceSnapshot capture(
            Instance instance, ResettableMemory memory, ModuleTraits traits) {
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
        int[][] refs = null;
        boolean[][] owned = null;
        if (traits.changesTables()) {
            refs = new int[instance.tableCount()][];
            owned = new boolean[refs.length][];
            for (int t = 0; t < refs.length; t++) {
                TableInstance table = instance.table(t);
                refs[t] = new int[table.size()];
                owned[t] = new boolean[table.size()];
                for (int i = 0; i < table.size(); i++) {
                    refs[t][i] = table.ref(i);
                    owned[t][i] = table.instance(i) == instance;
                }
            }
        }
        Element[] elements = null;
        if (traits.dropsElements()) {
            elements = new Element[instance.elementCount()];
            for (int i = 0; i < elements.length; i++) {
                elements[i] = instance.element(i);
            }
        }
        return new InstanceSnapshot(
                memory.captureInPlace(traits.dropsData()), idx, low, high, refs, owned, elements);
    }

    /** Gives a newly built instance this state; its memory shares the image's chunks. */
    void applyTo(Instance instance, ResettableMemory memory) {
        memory.attach(this.memory);
        restoreRest(instance);
    }

    /**
     * Puts a used instance back to this state. Returns false when it cannot be: a table grew
     * (tables never shrink), so the instance must be discarded.
     */
    boolean restore(Instance instance, ResettableMemory memory) {
        if (tableRefs != null) {
            for (int t = 0; t < tableRefs.length; t++) {
                if (instance.table(t).size() != tableRefs[t].length) {
                    return false;
                }
            }
        }
        memory.reset();
        restoreRest(instance);
        return true;
    }

    private void restoreRest(Instance instance) {
        for (int k = 0; k < globals.length; k++) {
            GlobalInstance g = instance.global(globals[k]);
            g.setValueLow(low[k]);
            g.setValueHigh(high[k]);
        }
        if (tableRefs != null) {
            for (int t = 0; t < tableRefs.length; t++) {
                TableInstance table = instance.table(t);
                for (int i = 0; i < tableRefs[t].length; i++) {
                    table.setRef(i, tableRefs[t][i], tableOwned[t][i] ? instance : null);
                }
            }
        }
        if (elements != null) {
            for (int i = 0; i < elements.length; i++) {
                instance.setElement(i, elements[i]);
            }
        }
    }

    /** Heap bytes of the memory image (zero chunks are shared and not counted). */
    long imageBytes() {
        return memory.storedBytes();
    }

    /** Heap bytes of the memory image plus its table of chunk references. */
    long heapBytes() {
        return memory.storedBytes() + (long) memory.chunkCount() * Long.BYTES;
    }
}
