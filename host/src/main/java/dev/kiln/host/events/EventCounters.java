package dev.kiln.host.events;

import dev.kiln.host.core.FunctionName;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Per-function counts of what happened to events since the host started. */
final class EventCounters {

    /**
     * @param attempts attempts that ran (throttled tries excluded)
     * @param succeeded events delivered successfully
     * @param retried failed attempts that were scheduled again
     * @param throttled tries that found the function at capacity and were put back, uncounted
     * @param deadLettered events that ran out of attempts or time and went to a dead-letter list or
     *     function
     * @param discarded events dropped: out of attempts with dead letters set to {@code none}, or
     *     their function was deleted
     */
    record Snapshot(
            long attempts,
            long succeeded,
            long retried,
            long throttled,
            long deadLettered,
            long discarded) {}

    private static final class Counts {
        final LongAdder attempts = new LongAdder();
        final LongAdder succeeded = new LongAdder();
        final LongAdder retried = new LongAdder();
        final LongAdder throttled = new LongAdder();
        final LongAdder deadLettered = new LongAdder();
        final LongAdder discarded = new LongAdder();
    }

    enum Kind {
        ATTEMPT,
        SUCCEEDED,
        RETRIED,
        THROTTLED,
        DEAD_LETTERED,
        DISCARDED
    }

    private final Map<FunctionName, Counts> byFunction = new ConcurrentHashMap<>();

    void add(FunctionName functionKey, Kind kind) {
        Counts c = byFunction.computeIfAbsent(functionKey, k -> new Counts());
        switch (kind) {
            case ATTEMPT -> c.attempts.increment();
            case SUCCEEDED -> c.succeeded.increment();
            case RETRIED -> c.retried.increment();
            case THROTTLED -> c.throttled.increment();
            case DEAD_LETTERED -> c.deadLettered.increment();
            case DISCARDED -> c.discarded.increment();
        }
    }

    Snapshot of(FunctionName functionKey) {
        Counts c = byFunction.get(functionKey);
        return c == null ? new Snapshot(0, 0, 0, 0, 0, 0) : snapshot(c);
    }

    Map<FunctionName, Snapshot> all() {
        Map<FunctionName, Snapshot> out = new TreeMap<>();
        byFunction.forEach((k, c) -> out.put(k, snapshot(c)));
        return out;
    }

    void forget(FunctionName functionKey) {
        byFunction.remove(functionKey);
    }

    private static Snapshot snapshot(Counts c) {
        // Attempts read first: the dispatcher adds an attempt after its outcome, so a snapshot
        // never shows an attempt whose outcome it lacks.
        return new Snapshot(
                c.attempts.sum(),
                c.succeeded.sum(),
                c.retried.sum(),
                c.throttled.sum(),
                c.deadLettered.sum(),
                c.discarded.sum());
    }
}
