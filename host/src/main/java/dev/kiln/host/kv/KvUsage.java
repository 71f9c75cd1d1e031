package dev.kiln.host.kv;

import dev.kiln.abi.KvException;

/** What a service's key-value store holds now: keys and bytes (keys plus values). */
public record KvUsage(long keys, long bytes) {
    public static final KvUsage EMPTY = new KvUsage(0, 0);

    /** The refusal of a write that does not fit a store holding this much. */
    public KvException full() {
        return new KvException(
                KvException.Kind.LIMIT,
                "the service's key-value store is full (" + keys + " keys, " + bytes + " bytes)");
    }

    KvUsage plus(long keys, long bytes) {
        return new KvUsage(this.keys + keys, this.bytes + bytes);
    }
}
