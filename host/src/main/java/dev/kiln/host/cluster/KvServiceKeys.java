package dev.kiln.host.cluster;

import dev.kiln.host.kv.KvUsage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One service's live keys (hex) and their bytes in the cluster's key-value store, as this node last
 * listed them plus its own writes since (docs/adr/0055): what {@link JetStreamKvStore} checks a
 * service's limits against. Every access to its fields holds the object's monitor.
 */
final class KvServiceKeys {
    final Map<String, Long> bytesOf = new HashMap<>();
    long bytes;
    long listedAt;
    boolean listed;

    /** This node's writes not acknowledged yet: a listing cannot show them, so it keeps them. */
    final List<Reservation> inFlight = new ArrayList<>();

    /** Listings under way: they run without the monitor, writers go on meanwhile. */
    private int scans;

    /**
     * This node's writes and deletes answered while a listing ran (key hex to bytes, null when
     * deleted): the listing may have read their keys before them.
     */
    private final Map<String, Long> changedDuringScans = new HashMap<>();

    /** Held by the write that makes the service's first listing here, so only one makes it. */
    final Object firstListing = new Object();

    /** Whether a listing for the limits is queued or running on the refresher. */
    boolean refreshing;

    /** A listing starts reading the server. */
    void scanStarted() {
        scans++;
    }

    /** A listing failed: the count stays as it was. */
    void scanFailed() {
        scanEnded();
    }

    /**
     * A listing read {@code liveBytes} (live key hex to bytes): the count becomes that, plus what
     * the listing cannot have shown — writes in flight, and writes and deletes answered while it
     * ran.
     */
    void scanned(Map<String, Long> liveBytes, long nanoTime) {
        bytesOf.clear();
        bytes = 0;
        liveBytes.forEach(this::set);
        for (Reservation r : inFlight) {
            set(r.hex(), r.bytes());
        }
        changedDuringScans.forEach(this::set);
        scanEnded();
        this.listed = true;
        listedAt = nanoTime;
    }

    private void scanEnded() {
        if (--scans == 0) {
            changedDuringScans.clear(); // no listing left that could have missed them
        }
    }

    /** Counts a write (or, with null, a delete) JetStream has answered. */
    void answered(String hex, Long keyBytes) {
        set(hex, keyBytes);
        if (scans > 0) {
            changedDuringScans.put(hex, keyBytes);
        }
    }

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
