package dev.kiln.host.events;

import dev.kiln.host.core.FunctionName;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.ToIntFunction;

/**
 * Durable per-function event queues with leases, retries and dead letters. Everything that changes
 * the queue completes only once the change is durable, so an acknowledgement given after it
 * survives a crash. The embedded implementation is {@link SqliteEventQueue}; cluster mode's is
 * {@code cluster.JetStreamEventQueue} (a work-queue stream shared by every node, docs/adr/0053),
 * chosen at start through {@link Events.QueueOpener}.
 *
 * <p>Delivery is at least once: a lease lives in memory only, so events leased when the process
 * dies are due again when it restarts.
 */
public interface EventQueue extends AutoCloseable {

    /** What an enqueue does when a function's queue has no room. */
    enum Overflow {
        /** Fail the whole enqueue with {@code overloaded}; nothing is stored. */
        REJECT,
        /** Store no events but still record the fire mark; the future completes with false. */
        DROP_EVENTS
    }

    /**
     * Stores {@code events} atomically: all or none. With a {@code mark}, stores them only if the
     * mark is later than the last one recorded under its key, and records it in the same step.
     *
     * @return a future completing with true when stored, false when the mark was not new or {@link
     *     Overflow#DROP_EVENTS} dropped them; it fails with a {@code KilnException} ({@code
     *     overloaded}) when {@link Overflow#REJECT} found a queue full
     */
    CompletableFuture<Boolean> enqueue(List<NewEvent> events, FireMark mark, Overflow overflow);

    /**
     * Leases up to {@code max} events that are due at {@code now}, oldest due first, taking no more
     * of one function than {@code inFlightCap} allows (0: no cap) counting its leases already out.
     * A function at its cap never holds back the events of others, however many older events it
     * has. Each lease counts as an attempt, durably, before it is returned.
     */
    CompletableFuture<List<QueuedEvent>> lease(
            int max, Instant now, ToIntFunction<FunctionName> inFlightCap);

    /**
     * Stores what became of a leased event and ends its lease. The event must be one {@link #lease}
     * returned. The lease ends even when the future fails: the event then stays as it was stored
     * (the attempt its lease counted included) and is leased again when due, so a failed write
     * never leaves an event, or its function's concurrency, held until a restart.
     */
    CompletableFuture<Void> complete(QueuedEvent leased, Completion completion);

    /** The earliest due time after {@code now} of any event, if one is waiting. */
    Optional<Instant> nextDueAfter(Instant now);

    /** Called (on the queue's thread) after a change that may have made events due. */
    void onChange(Runnable listener);

    /**
     * Queue figures of one function.
     *
     * @param depth events stored, including leased ones
     * @param leased events being attempted now
     * @param oldestCreatedAt when the oldest stored event was first enqueued, or null
     * @param deadLetters events in the dead-letter list
     */
    record Stats(long depth, long leased, Instant oldestCreatedAt, long deadLetters) {}

    Stats stats(String service, String function);

    /** Stats of every function that has stored events or dead letters. */
    Map<FunctionName, Stats> allStats();

    /** The last fire mark recorded under {@code key}. */
    Optional<Instant> lastMark(String key);

    /**
     * Deletes the fire mark under {@code key} (its timer is gone); completes with whether it
     * existed.
     */
    CompletableFuture<Boolean> deleteMark(String key);

    /** Deletes every fire mark whose key starts with {@code prefix}; completes with how many. */
    CompletableFuture<Integer> deleteMarksWithPrefix(String prefix);

    /**
     * Stored events of a function, oldest first, after position {@code afterSeq} (payloads empty).
     */
    List<QueuedEvent> queued(String service, String function, int limit, long afterSeq);

    /** One stored event, with its payload. */
    Optional<QueuedEvent> queuedEvent(String service, String function, String requestId);

    /**
     * Dead letters of a function, newest first, before position {@code beforeSeq} (0: from the
     * newest).
     */
    List<DeadLetter> deadLetters(String service, String function, int limit, long beforeSeq);

    /** One dead letter, with its payload. */
    Optional<DeadLetter> deadLetter(String service, String function, String requestId);

    /**
     * Moves dead letters back into the queue as fresh events (attempts and age start again).
     *
     * @param requestId one dead letter, or {@code null} for all of the function's
     * @return how many were moved; fails with {@code overloaded} when they do not fit the queue
     */
    CompletableFuture<Integer> redrive(String service, String function, String requestId);

    /** Deletes one dead letter; completes with whether it existed. */
    CompletableFuture<Boolean> deleteDeadLetter(String service, String function, String requestId);

    /** Deletes every event and dead letter of a function (it was deleted). */
    CompletableFuture<Void> purge(String service, String function);

    @Override
    void close();
}
