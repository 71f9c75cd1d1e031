package dev.kiln.host.sandbox;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.wasm.types.Table;

/**
 * A table whose {@code table.grow} follows the specification for every delta: it returns -1 when
 * the new size would pass the table's maximum. Chicory 1.7.5 adds the delta to the size in 32-bit
 * arithmetic, so a delta such as 0x7FFFFFFF wraps to a negative size, passes its check and traps
 * with a NegativeArraySizeException instead of returning -1.
 */
final class CappedTable extends TableInstance {
    CappedTable(Table table, int initialValue) {
        super(table, initialValue);
    }

    @Override
    public int grow(int size, int value, Instance instance) {
        // The delta is an unsigned 32-bit number: a negative int is 2^31 or more.
        if (size < 0 || (long) size() + size > limits().max()) {
            return -1;
        }
        return super.grow(size, value, instance);
    }
}
