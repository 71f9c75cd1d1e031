package dev.kiln.host.kv;

/** What a service's key-value store holds now: keys and bytes (keys plus values). */
public record KvUsage(long keys, long bytes) {
    public static final KvUsage EMPTY = new KvUsage(0, 0);

    KvUsage plus(long keys, long bytes) {
        return new KvUsage(this.keys + keys, this.bytes + bytes);
    }
}
