package dev.kiln.host.events;

/**
 * What happened to a function's events since the host started.
 *
 * @param attempts attempts that ran (throttled tries excluded)
 * @param succeeded events delivered successfully
 * @param retried failed attempts that were scheduled again
 * @param throttled tries that found the function at capacity and were put back, uncounted
 * @param deadLettered events that ran out of attempts or time and went to a dead-letter list or
 *     function
 * @param discarded events dropped: out of attempts with dead letters set to {@code none}, or their
 *     function was deleted
 */
public record EventCounts(
        long attempts,
        long succeeded,
        long retried,
        long throttled,
        long deadLettered,
        long discarded) {}
