package dev.kiln.host.invoke;

import dev.kiln.host.registry.FunctionInfo;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;

/** Per-function caps on invocations in flight (queued or running), from maxConcurrency. */
final class ConcurrencyLimits {
    /** A function's permits, keyed by its limit so a changed setting gets a fresh semaphore. */
    private record Slots(int limit, Semaphore semaphore) {}

    private final Map<String, Slots> slots = new ConcurrentHashMap<>();

    /** The function's semaphore, or {@code null} when it has no limit of its own. */
    Semaphore slotsFor(FunctionInfo function) {
        int limit = function.settings().maxConcurrency();
        String key = function.service() + "/" + function.name();
        if (limit <= 0) {
            slots.remove(key);
            return null;
        }
        return slots.compute(
                        key,
                        (k, old) ->
                                old != null && old.limit() == limit
                                        ? old
                                        : new Slots(limit, new Semaphore(limit)))
                .semaphore();
    }
}
