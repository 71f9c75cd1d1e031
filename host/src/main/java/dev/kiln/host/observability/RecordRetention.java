package dev.kiln.host.observability;

import java.time.Duration;

/**
 * How many invocation records are kept and how they are written.
 *
 * @param queueCapacity records waiting to be written; beyond it new ones are dropped (counted)
 * @param maxBatch records written per transaction
 * @param flushInterval how long the writer waits for more records when idle
 */
public record RecordRetention(
        int maxPerFunction,
        Duration maxAge,
        int queueCapacity,
        int maxBatch,
        Duration flushInterval) {
    public static final RecordRetention DEFAULTS =
            new RecordRetention(1000, Duration.ofDays(7), 10_000, 512, Duration.ofMillis(100));

    // Records arrive one per invocation: after a batch that was not full the writer waits this
    // long for more, so that a commit serves hundreds of records instead of a few dozen. A record
    // is readable (and followed) up to this much later; a flush does not wait (docs/adr/0061).
    private static final Duration LINGER = Duration.ofMillis(20);

    /** How long the writer waits for more records after writing a batch that was not full. */
    public Duration linger() {
        return LINGER;
    }
}
