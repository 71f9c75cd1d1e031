package dev.kiln.host.pool;

import dev.kiln.host.sandbox.CompiledModule;
import dev.kiln.host.sandbox.GuestInstance;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Supplier;

/**
 * The instances of one function's code under one set of instance-shaping settings: idle ones ready
 * to serve, and a count of those out on lease. All counts change under this object's lock; guest
 * code and resets run outside it.
 */
final class VersionPool {
    /** An idle instance and since when it has been idle. */
    record Idle(GuestInstance instance, long sinceNanos) {}

    private volatile PoolSpec spec;
    private final Supplier<byte[]> wasm;

    /** Taken once, so a draining pool never needs the shared code map again. */
    private volatile CompiledModule module;

    /** Most recently returned first: it is the one most likely still in the CPU's caches. */
    private final ArrayDeque<Idle> idle = new ArrayDeque<>();

    /** Instances that exist or are being created for this pool: idle + leased + creating. */
    private int live;

    private int leased;
    private boolean draining;
    private boolean refillQueued;

    VersionPool(PoolSpec spec, Supplier<byte[]> wasm, boolean draining) {
        this.spec = spec;
        this.wasm = wasm;
        this.draining = draining;
    }

    PoolSpec spec() {
        return spec;
    }

    Supplier<byte[]> wasm() {
        return wasm;
    }

    CompiledModule module() {
        return module;
    }

    void module(CompiledModule m) {
        module = m;
    }

    /** Takes on new sizes (same instances); returns idle instances now over the new maximum. */
    synchronized List<GuestInstance> resize(PoolSpec newSpec) {
        spec = newSpec;
        List<GuestInstance> excess = new ArrayList<>();
        int max = newSpec.maxInstances();
        while (max > 0 && live > max && !idle.isEmpty()) {
            excess.add(idle.pollLast().instance());
            live--;
        }
        return excess;
    }

    /** The most recently used idle instance, now leased, or null if none is idle. */
    synchronized GuestInstance takeIdle() {
        Idle i = idle.pollFirst();
        if (i == null) {
            return null;
        }
        leased++;
        return i.instance();
    }

    /**
     * Counts an instance about to be created (for a lease if {@code forLease}, else to stay idle).
     * False when the pool is at its maximum, or is draining and the instance would only sit idle.
     */
    synchronized boolean reserve(boolean forLease) {
        int max = spec.maxInstances();
        if ((max > 0 && live >= max) || (draining && !forLease)) {
            return false;
        }
        live++;
        if (forLease) {
            leased++;
        }
        return true;
    }

    /** Undoes a {@link #reserve} whose instance could not be created. */
    synchronized void unreserve(boolean forLease) {
        live--;
        if (forLease) {
            leased--;
        }
    }

    /**
     * Takes back a leased instance ({@code leasedBack}) or adds a newly created one, keeping it
     * idle if {@code keep} and the pool still wants it. Returns false when it was not kept: the
     * caller closes it (the pool's count has already dropped).
     */
    synchronized boolean offer(GuestInstance instance, boolean leasedBack, boolean keep, long now) {
        if (leasedBack) {
            leased--;
        }
        int max = spec.maxInstances();
        if (keep && !draining && (max == 0 || live <= max)) {
            idle.addFirst(new Idle(instance, now));
            return true;
        }
        live--;
        return false;
    }

    /** Adds a created instance that was counted elsewhere (a trial instance at upload). */
    synchronized boolean adopt(GuestInstance instance, long now) {
        int max = spec.maxInstances();
        if (draining || (max > 0 && live >= max)) {
            return false;
        }
        live++;
        idle.addFirst(new Idle(instance, now));
        return true;
    }

    /** Marks the pool draining and hands back its idle instances to close. */
    synchronized List<GuestInstance> drain() {
        draining = true;
        List<GuestInstance> out = new ArrayList<>(idle.size());
        for (Idle i : idle) {
            out.add(i.instance());
        }
        live -= idle.size();
        idle.clear();
        return out;
    }

    /** Idle instances beyond minInstances that have been idle since before {@code cutoff}. */
    synchronized List<GuestInstance> expire(long cutoffNanos) {
        List<GuestInstance> out = new ArrayList<>();
        int min = spec.minInstances();
        // Oldest at the tail.
        for (Iterator<Idle> it = idle.descendingIterator(); it.hasNext() && live > min; ) {
            Idle i = it.next();
            if (i.sinceNanos() - cutoffNanos > 0) {
                break;
            }
            it.remove();
            live--;
            out.add(i.instance());
        }
        return out;
    }

    /** When its oldest idle instance beyond the minimum became idle; Long.MAX_VALUE if none. */
    synchronized long oldestEvictableSince() {
        if (live <= spec.minInstances() || idle.isEmpty()) {
            return Long.MAX_VALUE;
        }
        return idle.peekLast().sinceNanos();
    }

    /** Removes the oldest idle instance beyond the minimum, or returns null. */
    synchronized GuestInstance evictOldest() {
        if (live <= spec.minInstances() || idle.isEmpty()) {
            return null;
        }
        live--;
        return idle.pollLast().instance();
    }

    /** Whether a refill should create another instance (and marks one queued if so). */
    synchronized boolean wantsRefill() {
        return !draining && live < spec.minInstances();
    }

    /** Marks a refill task queued; false if one already is. */
    synchronized boolean queueRefill() {
        if (refillQueued) {
            return false;
        }
        refillQueued = true;
        return true;
    }

    synchronized void refillDone() {
        refillQueued = false;
    }

    synchronized boolean draining() {
        return draining;
    }

    synchronized int idleCount() {
        return idle.size();
    }

    synchronized int leasedCount() {
        return leased;
    }

    synchronized int liveCount() {
        return live;
    }

    /** Heap bytes held privately by idle instances (their written memory chunks). */
    synchronized long idlePrivateBytes() {
        long n = 0;
        for (Idle i : idle) {
            n += i.instance().privateMemoryBytes();
        }
        return n;
    }
}
