package dev.kiln.host.pool;

import dev.kiln.host.sandbox.CompiledModule;
import dev.kiln.host.sandbox.GuestInstance;
import dev.kiln.host.sandbox.InitialState;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
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

    /**
     * The post-init state its instances start from: this pool's own, never shared with another
     * function or version (ADR 0028). Replaced only by the upload's checked instance's state, and
     * only before any instance of the pool has initialised.
     */
    private InitialState initial = new InitialState();

    /** Every initial state this pool handed out: their snapshots are counted until it is gone. */
    private final List<InitialState> states = new ArrayList<>(List.of(initial));

    /** Most recently returned first: it is the one most likely still in the CPU's caches. */
    private final ArrayDeque<Idle> idle = new ArrayDeque<>();

    /** Instances that exist or are being created for this pool: idle + leased + creating. */
    private int live;

    /** Leased instances, including those being created for the lease that will hold them. */
    private int leased;

    /**
     * Instances being created to sit idle (refills): counted in {@code live}, so at maxInstances a
     * request must wait for one of them rather than be refused (see {@link #claim}).
     */
    private int creating;

    /** Threads in {@link #claim} waiting for an instance being created. */
    private int waiters;

    private boolean draining;
    private boolean refillQueued;

    /** What {@link #claim} got. */
    sealed interface Claim {
        /** An idle instance, now leased. */
        record Taken(GuestInstance instance) implements Claim {}

        /** A slot counted for a lease: the caller creates the instance (or unreserves). */
        record Reserved() implements Claim {}

        /** At maxInstances and every instance is leased: waiting would not help. */
        record Full() implements Claim {}

        /** At maxInstances, and no instance being created became ready before the deadline. */
        record TimedOut() implements Claim {}
    }

    private static final Claim RESERVED = new Claim.Reserved();
    private static final Claim FULL = new Claim.Full();
    private static final Claim TIMED_OUT = new Claim.TimedOut();

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

    synchronized InitialState initial() {
        return initial;
    }

    /**
     * Makes {@code state} (an upload's checked instance's) this pool's initial state, unless an
     * instance of the pool has initialised its own already: then an instance of {@code state} must
     * not join, and false is returned.
     */
    synchronized boolean takeInitial(InitialState state) {
        if (state == initial) {
            return true;
        }
        if (initial.hasSnapshot()) {
            return false;
        }
        initial = state;
        states.add(state);
        return true;
    }

    /**
     * The initial states to give up once the pool is draining and its last instance is gone (so no
     * instance can still read their snapshots); empty otherwise, and on every later call.
     */
    synchronized List<InitialState> releaseStatesIfGone() {
        if (!draining || live > 0 || states.isEmpty()) {
            return List.of();
        }
        List<InitialState> out = List.copyOf(states);
        states.clear();
        return out;
    }

    /** Takes on new sizes (same instances); returns idle instances now over the new maximum. */
    synchronized List<GuestInstance> resize(PoolSpec newSpec) {
        if (newSpec.minInstances() == spec.minInstances()
                && newSpec.maxInstances() == spec.maxInstances()) {
            return List.of(); // every invocation passes its spec, which almost never resizes
        }
        spec = newSpec;
        List<GuestInstance> excess = new ArrayList<>();
        int max = newSpec.maxInstances();
        while (max > 0 && live > max && !idle.isEmpty()) {
            excess.add(idle.pollLast().instance());
            live--;
        }
        wake(); // a new maximum may let a waiting claim reserve
        return excess;
    }

    /**
     * Leases an instance for an invocation: the most recently used idle one, else a slot to create
     * one in. At maxInstances, while instances are being created to sit idle (a refill after a
     * failed instance was dropped), waits until {@code waitUntilNanos} for one of them: those
     * instances are the ones this invocation's concurrency slot is entitled to, so refusing it
     * would be a spurious {@code overloaded}.
     *
     * @throws InterruptedException when the invocation's deadline interrupts the wait
     */
    synchronized Claim claim(long waitUntilNanos) throws InterruptedException {
        while (true) {
            Idle i = idle.pollFirst();
            if (i != null) {
                leased++;
                return new Claim.Taken(i.instance());
            }
            int max = spec.maxInstances();
            if (max <= 0 || live < max) {
                live++;
                leased++;
                return RESERVED;
            }
            if (creating == 0) {
                return FULL; // live == leased: every instance is serving an invocation
            }
            long left = waitUntilNanos - System.nanoTime();
            if (left <= 0) {
                return TIMED_OUT;
            }
            waiters++;
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            } finally {
                waiters--;
            }
        }
    }

    /**
     * Counts an instance about to be created to sit idle (a refill). False when the pool is at its
     * maximum or draining.
     */
    synchronized boolean reserveIdle() {
        int max = spec.maxInstances();
        if ((max > 0 && live >= max) || draining) {
            return false;
        }
        live++;
        creating++;
        return true;
    }

    /** Undoes a {@link #claim} that reserved a slot whose instance could not be created. */
    synchronized void unreserveLease() {
        live--;
        leased--;
        wake();
    }

    /** Undoes a {@link #reserveIdle} whose instance could not be created. */
    synchronized void unreserveIdle() {
        live--;
        creating--;
        wake();
    }

    /**
     * Takes back a leased instance ({@code leasedBack}) or adds one created after {@link
     * #reserveIdle}, keeping it idle if {@code keep} and the pool still wants it. Returns false
     * when it was not kept: the caller closes it (the pool's count has already dropped).
     */
    synchronized boolean offer(GuestInstance instance, boolean leasedBack, boolean keep, long now) {
        if (leasedBack) {
            leased--;
        } else {
            creating--;
        }
        wake();
        int max = spec.maxInstances();
        if (keep && !draining && (max == 0 || live <= max)) {
            idle.addFirst(new Idle(instance, now));
            return true;
        }
        live--;
        return false;
    }

    /** Wakes claims waiting for an instance; the caller holds this object's lock. */
    private void wake() {
        if (waiters > 0) {
            notifyAll();
        }
    }

    /** Adds a created instance that was counted elsewhere (a trial instance at upload). */
    synchronized boolean adopt(GuestInstance instance, long now) {
        int max = spec.maxInstances();
        if (draining || (max > 0 && live >= max)) {
            return false;
        }
        live++;
        idle.addFirst(new Idle(instance, now));
        wake();
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
        wake(); // a waiting claim now finds room below the maximum, or no refill to wait for
        return out;
    }

    /** Idle instances beyond minInstances that have been idle since before {@code cutoff}. */
    synchronized List<GuestInstance> expire(long cutoffNanos) {
        List<Long> since = new ArrayList<>(idle.size());
        for (Iterator<Idle> it = idle.descendingIterator(); it.hasNext(); ) { // oldest at the tail
            since.add(it.next().sinceNanos());
        }
        int n = EvictionPolicy.expired(since, live, spec.minInstances(), cutoffNanos);
        List<GuestInstance> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(idle.pollLast().instance());
        }
        live -= n;
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

    /** Idle instances that may be evicted (those beyond minInstances), oldest first. */
    synchronized List<Idle> evictable() {
        int n = Math.min(idle.size(), live - spec.minInstances());
        if (n <= 0) {
            return List.of();
        }
        List<Idle> out = new ArrayList<>(n);
        for (Iterator<Idle> it = idle.descendingIterator(); it.hasNext() && out.size() < n; ) {
            out.add(it.next());
        }
        return out;
    }

    /**
     * Removes {@code instance} if it is still idle and the pool is above its minimum; the caller
     * closes it. False when it was leased or removed meanwhile.
     */
    synchronized boolean evict(GuestInstance instance) {
        if (live <= spec.minInstances()) {
            return false;
        }
        for (Iterator<Idle> it = idle.iterator(); it.hasNext(); ) {
            if (it.next().instance() == instance) {
                it.remove();
                live--;
                return true;
            }
        }
        return false;
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
