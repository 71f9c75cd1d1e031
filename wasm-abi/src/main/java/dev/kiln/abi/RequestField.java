package dev.kiln.abi;

/** Field ids accepted by {@code kiln.request_get}. The id is the enum's ordinal: never reorder. */
public enum RequestField {
    METHOD,
    PATH,
    QUERY;

    /** The field id a guest passes for this value (the inverse of {@code byId}). */
    // The ABI defines the id as the ordinal (see above), so ordinal() is the definition here.
    @SuppressWarnings("EnumOrdinal")
    public int id() {
        return ordinal();
    }

    static RequestField byId(long id) {
        return Ids.byOrdinal(values(), id);
    }
}
