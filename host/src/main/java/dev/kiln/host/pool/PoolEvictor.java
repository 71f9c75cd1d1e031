package dev.kiln.host.pool;

import dev.kiln.host.core.FunctionName;
import dev.kiln.host.sandbox.GuestInstance;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * Carries out {@link EvictionPolicy}'s choices: gathers the idle instances that may go from every
 * pool, asks the policy, takes the chosen ones out of their pools and has them closed.
 */
final class PoolEvictor {
    private final PoolDirectory directory;
    private final InstanceMemory memory;
    private final BiConsumer<GuestInstance, String> close;

    /**
     * @param close closes an instance taken out of its pool, with the reason it is counted under
     */
    PoolEvictor(
            PoolDirectory directory,
            InstanceMemory memory,
            BiConsumer<GuestInstance, String> close) {
        this.directory = directory;
        this.memory = memory;
        this.close = close;
    }

    /** A candidate for eviction: an idle instance and its pool. */
    record Victim(VersionPool pool, GuestInstance instance) {}

    /**
     * Closes idle instances (beyond their pools' minimum) of functions other than {@code
     * requester}, least recently used first, to free {@code neededBytes}; see {@link
     * EvictionPolicy}. Returns the bytes freed.
     */
    long forBudget(long neededBytes, FunctionName requester) {
        List<EvictionPolicy.Candidate<Victim>> candidates = new ArrayList<>();
        directory.forEachPool(
                p -> {
                    for (VersionPool.Idle i : p.evictable()) {
                        candidates.add(
                                new EvictionPolicy.Candidate<>(
                                        new Victim(p, i.instance()),
                                        p.spec().function(),
                                        i.sinceNanos(),
                                        memory.charge(i.instance())));
                    }
                });
        long freed = 0;
        for (var c : EvictionPolicy.choose(candidates, neededBytes, requester)) {
            if (c.ref().pool().evict(c.ref().instance())) {
                freed += c.bytes();
                close.accept(c.ref().instance(), "memory_budget");
            }
        }
        return freed;
    }

    /** Closes the instance idle the longest on the host (see {@link EvictionPolicy#oldest}). */
    boolean oldestIdle() {
        List<EvictionPolicy.Candidate<VersionPool>> candidates = new ArrayList<>();
        directory.forEachPool(
                p -> {
                    long s = p.oldestEvictableSince();
                    if (s != Long.MAX_VALUE) {
                        candidates.add(
                                new EvictionPolicy.Candidate<>(p, p.spec().function(), s, 0));
                    }
                });
        var oldest = EvictionPolicy.oldest(candidates);
        if (oldest == null) {
            return false;
        }
        GuestInstance victim = oldest.ref().evictOldest();
        if (victim == null) {
            return true; // it went meanwhile; look again
        }
        close.accept(victim, "evicted");
        return true;
    }
}
