package dev.kiln.host.events;

import dev.kiln.host.core.FunctionName;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Per-function counts of what happened to events since the host started. */
final class EventCounters {

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

    EventCounts of(FunctionName functionKey) {
        Counts c = byFunction.get(functionKey);
        return c == null ? new EventCounts(0, 0, 0, 0, 0, 0) : snapshot(c);
    }

    Map<FunctionName, EventCounts> all() {
        Map<FunctionName, EventCounts> out = new TreeMap<>();
        byFunction.forEach((k, c) -> out.put(k, snapshot(c)));
        return out;
    }

    void forget(FunctionName functionKey) {
        byFunction.remove(functionKey);
    }

    private static EventCounts snapshot(Counts c) {
        // Attempts read first: the dispatcher adds an attempt after its outcome, so a snapshot
        // never shows an attempt whose outcome it lacks.
        return new EventCounts(
                c.attempts.sum(),
                c.succeeded.sum(),
                c.retried.sum(),
                c.throttled.sum(),
                c.deadLettered.sum(),
                c.discarded.sum());
    }
}
