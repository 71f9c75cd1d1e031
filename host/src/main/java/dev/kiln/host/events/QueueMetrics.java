package dev.kiln.host.events;

import com.fasterxml.jackson.annotation.JsonUnwrapped;

/**
 * A function's asynchronous queue at a glance.
 *
 * @param depth events stored (waiting, retrying or running)
 * @param inFlight events being attempted now
 * @param oldestAgeMs age of the oldest stored event, 0 when none
 * @param deadLetters events in the dead-letter list now
 * @param maxQueuedEvents the queue's bound
 * @param counts what happened to its events since the host started, as fields of this object
 */
public record QueueMetrics(
        String service,
        String function,
        long depth,
        long inFlight,
        long oldestAgeMs,
        long deadLetters,
        int maxQueuedEvents,
        @JsonUnwrapped EventCounts counts) {}
