package dev.kiln.host.events;

import dev.kiln.host.core.FunctionName;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What {@link SqliteEventQueue} keeps in memory beside its tables: stored events per function (read
 * by any thread) and the leases out (memory only, so a crash ends them). Only the writer thread
 * changes it, and only with the {@link Changes} of a committed transaction.
 */
final class QueueState {
    private final Map<FunctionName, Long> depth = new ConcurrentHashMap<>();
    private final Map<Long, FunctionName> leases = new HashMap<>();
    private final Map<FunctionName, Long> leasedPerFunction = new ConcurrentHashMap<>();

    /** Starts from the stored depth per function. */
    QueueState(Map<FunctionName, Long> storedDepth) {
        depth.putAll(storedDepth);
    }

    long depth(FunctionName key) {
        return depth.getOrDefault(key, 0L);
    }

    long leased(FunctionName key) {
        return leasedPerFunction.getOrDefault(key, 0L);
    }

    /** Functions with stored events. */
    Set<FunctionName> functionsWithEvents() {
        return Set.copyOf(depth.keySet());
    }

    /** What a transaction changes in memory; applied only once it commits. */
    final class Changes {
        final Map<FunctionName, Long> depthDelta = new HashMap<>();
        final Map<Long, FunctionName> leasesAdded = new HashMap<>();
        final Set<Long> leasesRemoved = new HashSet<>();
        boolean madeEventsDue;

        /** The function's depth as this transaction leaves it so far. */
        long depth(FunctionName key) {
            return QueueState.this.depth(key) + depthDelta.getOrDefault(key, 0L);
        }

        void addDepth(FunctionName key, long delta) {
            depthDelta.merge(key, delta, Long::sum);
        }

        /** Leases per function, out already or taken earlier in this transaction. */
        Map<FunctionName, Long> leasedPerFunction() {
            Map<FunctionName, Long> leased = new HashMap<>(QueueState.this.leasedPerFunction);
            leasesAdded.values().forEach(fn -> leased.merge(fn, 1L, Long::sum));
            return leased;
        }

        /** Events leased, out already or earlier in this transaction. */
        Set<Long> leasedEvents() {
            Set<Long> out = new HashSet<>(leases.keySet());
            out.addAll(leasesAdded.keySet());
            return out;
        }

        Changes copy() {
            Changes c = new Changes();
            c.restore(this);
            return c;
        }

        void restore(Changes from) {
            depthDelta.clear();
            depthDelta.putAll(from.depthDelta);
            leasesAdded.clear();
            leasesAdded.putAll(from.leasesAdded);
            leasesRemoved.clear();
            leasesRemoved.addAll(from.leasesRemoved);
            madeEventsDue = from.madeEventsDue;
        }
    }

    Changes changes() {
        return new Changes();
    }

    void apply(Changes c) {
        c.depthDelta.forEach(
                (k, d) -> {
                    long v = depth.getOrDefault(k, 0L) + d;
                    if (v <= 0) {
                        depth.remove(k);
                    } else {
                        depth.put(k, v);
                    }
                });
        for (long seq : c.leasesRemoved) {
            FunctionName fn = leases.remove(seq);
            if (fn != null) {
                leasedPerFunction.computeIfPresent(fn, (k, n) -> n <= 1 ? null : n - 1);
            }
        }
        c.leasesAdded.forEach(
                (seq, fn) -> {
                    if (leases.put(seq, fn) == null) {
                        leasedPerFunction.merge(fn, 1L, Long::sum);
                    }
                });
    }
}
