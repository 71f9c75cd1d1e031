package dev.kiln.host.pool;

import dev.kiln.host.core.FunctionName;
import java.util.ArrayList;
import java.util.List;

/**
 * Decides which idle instances to close: to make room in the host's memory budget ({@link
 * #choose}), at the host's instance limit ({@link #oldest}) and after the idle TTL ({@link
 * #expired}). Pure functions of what is idle, so they have property tests
 * (EvictionPolicyPropertiesTest).
 *
 * <p>Least recently used first, never the requesting function's own instances (an invocation that
 * needs a new instance has none idle; an upload must not evict the version it replaces to fit), and
 * all or nothing: when every candidate together would not free enough, nothing is evicted, because
 * the request is refused anyway and closing warm instances would only hurt their functions.
 */
final class EvictionPolicy {
    private EvictionPolicy() {}

    /**
     * An idle instance that may be closed (it is beyond its pool's minInstances).
     *
     * @param ref what the caller needs to find it again
     * @param function the function it belongs to
     * @param idleSinceNanos when it became idle ({@link System#nanoTime()})
     * @param bytes what closing it gives back to the budget
     */
    record Candidate<T>(T ref, FunctionName function, long idleSinceNanos, long bytes) {}

    /**
     * The candidates to close, oldest idle first, until together they free at least {@code
     * neededBytes}; empty when that is not possible or nothing is needed.
     *
     * @param requester the function the room is for, whose instances are never chosen (null: none)
     */
    static <T> List<Candidate<T>> choose(
            List<Candidate<T>> candidates, long neededBytes, FunctionName requester) {
        if (neededBytes <= 0) {
            return List.of();
        }
        List<Candidate<T>> eligible = new ArrayList<>();
        for (Candidate<T> c : candidates) {
            if (c.bytes() > 0 && (requester == null || !requester.equals(c.function()))) {
                eligible.add(c);
            }
        }
        // nanoTime values are compared by difference: they may wrap.
        eligible.sort((a, b) -> Long.signum(a.idleSinceNanos() - b.idleSinceNanos()));
        List<Candidate<T>> out = new ArrayList<>();
        long freed = 0;
        for (Candidate<T> c : eligible) {
            out.add(c);
            freed += c.bytes();
            if (freed >= neededBytes) {
                return out;
            }
        }
        return List.of();
    }

    /**
     * The candidate idle the longest, for the host's instance limit (one instance makes room,
     * whatever its size); the first of equals; null when there is none.
     */
    static <T> Candidate<T> oldest(List<Candidate<T>> candidates) {
        Candidate<T> oldest = null;
        for (Candidate<T> c : candidates) {
            if (oldest == null || c.idleSinceNanos() - oldest.idleSinceNanos() < 0) {
                oldest = c;
            }
        }
        return oldest;
    }

    /**
     * How many of a pool's idle instances the idle TTL closes: the oldest ones idle since {@code
     * cutoffNanos} or before, while the pool stays above its minimum.
     *
     * @param idleSinceOldestFirst when each idle instance became idle, oldest first
     * @param live the pool's instances (idle, leased or being created)
     */
    static int expired(
            List<Long> idleSinceOldestFirst, int live, int minInstances, long cutoffNanos) {
        int n = 0;
        for (long since : idleSinceOldestFirst) {
            if (live - n <= minInstances || since - cutoffNanos > 0) {
                break;
            }
            n++;
        }
        return n;
    }
}
