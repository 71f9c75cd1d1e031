package dev.kiln.abi;

/** Looks up the enum constant whose ordinal is a guest-supplied id. */
final class Ids {
    private Ids() {}

    /** The constant with ordinal {@code id}, or {@code null} when out of range. */
    static <E extends Enum<E>> E byOrdinal(E[] all, long id) {
        return id >= 0 && id < all.length ? all[(int) id] : null;
    }
}
