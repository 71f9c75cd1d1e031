package dev.kiln.host.pool;

import dev.kiln.host.core.FunctionName;
import dev.kiln.host.sandbox.CompiledModule;
import dev.kiln.host.sandbox.GuestInstance;
import dev.kiln.host.sandbox.InitialState;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What guest instances and post-init snapshots are counted at in the host's {@link MemoryBudget}:
 * an instance when it is created and again when it comes back (it may have grown), a snapshot once
 * per function version, both given back when they go (docs/adr/0028).
 */
final class InstanceMemory {
    private final MemoryBudget budget;

    /** What each live instance is counted at (identity keys: instances do not override equals). */
    private final Map<GuestInstance, Long> instanceCharges = new ConcurrentHashMap<>();

    InstanceMemory(MemoryBudget budget) {
        this.budget = budget;
    }

    /**
     * Creates an instance of {@code state}'s version and counts it. The first instance of a version
     * runs {@code kiln_init}, which may fill its memory up to the memoryMiB cap before the snapshot
     * can be measured: room for that cap is reserved while it runs (and evicted for, or refused),
     * so an init that fills a gigabyte is refused before it starts rather than after the heap ran
     * out.
     */
    GuestInstance instantiate(CompiledModule code, InitialState state, FunctionName requester) {
        long initRoom = state.hasSnapshot() ? 0 : code.maxMemoryBytes();
        budget.reserve(MemoryBudget.Kind.INSTANCES, initRoom, requester);
        GuestInstance instance;
        try {
            instance = code.instantiate(state);
        } finally {
            budget.release(MemoryBudget.Kind.INSTANCES, initRoom);
        }
        countNew(state, instance, requester);
        return instance;
    }

    /**
     * Counts a new instance, and the snapshot it took if it was its version's first, against the
     * memory budget, evicting idle instances of other functions if needed.
     *
     * @throws MemoryBudgetException when they do not fit; a snapshot that did not fit is dropped
     */
    private void countNew(InitialState state, GuestInstance instance, FunctionName requester) {
        long snapshot = state.countOnce();
        if (snapshot > 0) {
            try {
                budget.reserve(MemoryBudget.Kind.SNAPSHOTS, snapshot, requester);
            } catch (MemoryBudgetException e) {
                state.forget();
                throw e;
            }
        }
        long bytes = MemoryEstimates.instance(instance);
        budget.reserve(MemoryBudget.Kind.INSTANCES, bytes, requester);
        instanceCharges.put(instance, bytes);
    }

    /**
     * Counts an instance coming back at what it holds now. False when it grew and the growth does
     * not fit: the caller closes it instead of keeping it idle.
     */
    boolean recount(GuestInstance instance) {
        long now = MemoryEstimates.instance(instance);
        Long before = instanceCharges.get(instance);
        long delta = now - (before == null ? 0 : before);
        if (delta > 0 && !budget.tryReserve(MemoryBudget.Kind.INSTANCES, delta)) {
            return false;
        }
        if (delta < 0) {
            budget.release(MemoryBudget.Kind.INSTANCES, -delta);
        }
        instanceCharges.put(instance, now);
        return true;
    }

    /** What {@code instance} is counted at now (0 if it is not counted). */
    long charge(GuestInstance instance) {
        return instanceCharges.getOrDefault(instance, 0L);
    }

    /** Gives back what a closed instance was counted at. */
    void closed(GuestInstance instance) {
        Long charge = instanceCharges.remove(instance);
        if (charge != null) {
            budget.release(MemoryBudget.Kind.INSTANCES, charge);
        }
    }

    /** Gives back the snapshot of {@code state} (an upload check's, or one not kept). */
    void releaseSnapshot(InitialState state) {
        budget.release(MemoryBudget.Kind.SNAPSHOTS, state.uncount());
    }

    /** Gives back the snapshots of a pool that has drained and whose last instance is gone. */
    void releaseStatesIfGone(VersionPool pool) {
        for (InitialState s : pool.releaseStatesIfGone()) {
            releaseSnapshot(s);
        }
    }
}
