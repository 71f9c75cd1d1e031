package dev.kiln.abi;

/** Field ids accepted by {@code kiln.context_get}. The id is the enum's ordinal: never reorder. */
public enum ContextField {
    REQUEST_ID,
    SERVICE,
    FUNCTION,
    VERSION,
    TRIGGER;

    static ContextField byId(long id) {
        return Ids.byOrdinal(values(), id);
    }
}
