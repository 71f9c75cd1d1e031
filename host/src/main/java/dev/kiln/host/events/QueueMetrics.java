package dev.kiln.host.events;

/**
 * A function's asynchronous queue at a glance.
 *
 * @param depth events stored (waiting, retrying or running)
 * @param inFlight events being attempted now
 * @param oldestAgeMs age of the oldest stored event, 0 when none
 * @param deadLetters events in the dead-letter list now
 * @param maxQueuedEvents the queue's bound
 * @param attempts attempts run since the host started
 * @param succeeded events delivered since the host started
 * @param retried failed attempts scheduled again since the host started
 * @param throttled tries put back uncounted because the function was at capacity
 * @param deadLettered events that ran out of attempts or time since the host started
 * @param discarded events dropped since the host started
 */
public record QueueMetrics(
        String service,
        String function,
        long depth,
        long inFlight,
        long oldestAgeMs,
        long deadLetters,
        int maxQueuedEvents,
        long attempts,
        long succeeded,
        long retried,
        long throttled,
        long deadLettered,
        long discarded) {}
