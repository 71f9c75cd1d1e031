package dev.kiln.host.cluster;

import dev.kiln.host.kv.KvUsage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One service's live keys (hex) and their bytes in the cluster's key-value store, as this node last
 * listed them plus its own writes since (docs/adr/0055): what {@link JetStreamKvStore} checks a
 * service's limits against. Every access holds the object's monitor.
 */
final class KvServiceKeys {
    final Map<String, Long> bytesOf = new HashMap<>();
    long bytes;
    long listedAt;
    boolean listed;

    /** This node's writes not acknowledged yet: a listing cannot show them, so it keeps them. */
    final List<Reservation> inFlight = new ArrayList<>();

    void set(String hex, Long keyBytes) {
        Long old = keyBytes == null ? bytesOf.remove(hex) : bytesOf.put(hex, keyBytes);
        bytes += (keyBytes == null ? 0 : keyBytes) - (old == null ? 0 : old);
    }

    KvUsage usage() {
        return new KvUsage(bytesOf.size(), bytes);
    }

    /**
     * A write this node has counted before JetStream acknowledged it; {@code before} what its key
     * counted then, as of the listing {@code listedAt}.
     */
    record Reservation(String hex, long bytes, Long before, long listedAt) {}
}
