package dev.kiln.host.sandbox;

/**
 * The post-init state of one function version: the snapshot its first instance takes after {@code
 * kiln_init}, which every later instance of that version starts from. It belongs to one function
 * version and is never shared by content hash: two services uploading the same bytes, or one
 * service uploading them again after a delete, each run {@code kiln_init} themselves, so nothing a
 * guest drew at init ({@code random_fill}, the clock) crosses from one to the other (docs/adr/
 * 0028-memory-budget-and-per-version-snapshots.md). Compiled code, which holds no guest state, is
 * still shared by content hash.
 *
 * <p>Also carries how many of its bytes are counted against the host's memory budget, so whoever
 * drops the state can give exactly those back.
 */
public final class InitialState {
    private InstanceSnapshot snapshot;
    private long counted;

    synchronized InstanceSnapshot snapshot() {
        return snapshot;
    }

    /**
     * Keeps {@code taken} unless another first instance was quicker; returns the snapshot every
     * instance of this version shares.
     */
    synchronized InstanceSnapshot offer(InstanceSnapshot taken) {
        if (snapshot == null) {
            snapshot = taken;
        }
        return snapshot;
    }

    /** Whether the first instance has been initialised and the snapshot taken. */
    public synchronized boolean hasSnapshot() {
        return snapshot != null;
    }

    /**
     * Heap bytes the snapshot holds: its non-zero 4 KiB chunks plus the table of chunk references;
     * 0 before it is taken.
     */
    public synchronized long heapBytes() {
        return snapshot == null ? 0 : snapshot.heapBytes();
    }

    /**
     * Marks the snapshot's bytes as counted against a budget and returns them; 0 when there is no
     * snapshot yet or it is counted already.
     */
    public synchronized long countOnce() {
        if (snapshot == null || counted > 0) {
            return 0;
        }
        counted = Math.max(1, snapshot.heapBytes());
        return counted;
    }

    /** Returns the bytes counted so far and marks none counted (the state is being dropped). */
    public synchronized long uncount() {
        long c = counted;
        counted = 0;
        return c;
    }

    /**
     * Drops the snapshot (it could not be counted): the next instance initialises again. Instances
     * already built from it keep their own reference.
     */
    public synchronized void forget() {
        snapshot = null;
        counted = 0;
    }
}
