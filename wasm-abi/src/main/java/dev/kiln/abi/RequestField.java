package dev.kiln.abi;

/** Field ids accepted by {@code kiln.request_get}. The id is the enum's ordinal: never reorder. */
public enum RequestField {
    METHOD,
    PATH,
    QUERY;

    static RequestField byId(long id) {
        RequestField[] all = values();
        return id >= 0 && id < all.length ? all[(int) id] : null;
    }
}
