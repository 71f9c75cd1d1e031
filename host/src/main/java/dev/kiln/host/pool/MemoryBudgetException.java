package dev.kiln.host.pool;

import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;

/**
 * The host's memory budget has no room for what was asked, even after closing idle instances. An
 * upload answers it as {@code insufficient_capacity} (507, its code); an invocation that needed a
 * new instance as {@code overloaded} (429).
 */
public final class MemoryBudgetException extends KilnException {
    private static final long serialVersionUID = 1L;

    private final MemoryBudget.Kind kind;

    MemoryBudgetException(MemoryBudget.Kind kind, String message) {
        super(ErrorCode.INSUFFICIENT_CAPACITY, message);
        this.kind = kind;
    }

    /** What could not be counted. */
    public MemoryBudget.Kind kind() {
        return kind;
    }
}
