package dev.kiln.abi;

/** Field ids accepted by {@code kiln.request_get}. The id is the enum's ordinal: never reorder. */
public enum RequestField {
    METHOD,
    PATH,
    QUERY;

    static RequestField byId(long id) {
        return Ids.byOrdinal(values(), id);
    }
}
