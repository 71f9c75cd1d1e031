package dev.kiln.host.events;

import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.FaultPoint;
import dev.kiln.host.core.FunctionName;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.storage.GroupCommitWriter;
import dev.kiln.host.storage.SqliteFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.ToIntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded {@link EventQueue}: tables in {@code events.db} (SQLite, WAL, {@code
 * synchronous=FULL}, {@link EventSchema}). One writer thread ({@link GroupCommitWriter}) applies
 * every change; changes that arrive together share one transaction and one fsync (group commit),
 * each inside its own savepoint so one refused change never undoes another ({@link EventBatches}).
 * Futures complete only after the commit. The changes are {@link EventWrites} and {@link
 * EventLeases}; reads ({@link EventReads}) use a second connection.
 */
public final class SqliteEventQueue implements EventQueue {
    private static final Logger log = LoggerFactory.getLogger(SqliteEventQueue.class);
    private static final int MAX_BATCH = 256;
    private static final Duration POLL = Duration.ofMillis(100);
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(10);

    /** Test seam: throws in the writer inside a batch's transaction (ADR 0030). */
    static final FaultPoint FAULTS = new FaultPoint();

    private final Connection writerDb;
    private final EventWrites writes;
    private final EventLeases leases;
    private final EventReads reads;
    private final EventBatches batches;
    private final GroupCommitWriter<EventOp<?>> writer;

    private SqliteEventQueue(
            Connection writerDb, Connection readerDb, ToIntFunction<FunctionName> max)
            throws SQLException {
        this.writerDb = writerDb;
        QueueState state = new QueueState(EventReads.storedDepth(readerDb));
        this.writes = new EventWrites(writerDb, max);
        this.leases = new EventLeases(writerDb);
        this.reads = new EventReads(readerDb, state);
        this.batches = new EventBatches(writerDb, state);
        this.writer = new GroupCommitWriter<>("kiln-event-writer", 0, MAX_BATCH, POLL, batches);
    }

    /**
     * Opens (creating if needed) the queue in {@code <dataDir>/events.db}.
     *
     * @param maxQueuedOf the most events a function may have stored
     */
    public static SqliteEventQueue open(Path dataDir, ToIntFunction<FunctionName> maxQueuedOf) {
        Path file = dataDir.resolve("events.db");
        try {
            Connection writer = SqliteFiles.open(file, SqliteFiles.Durability.FULL);
            EventSchema.migrate(writer);
            Connection reader = SqliteFiles.open(file, SqliteFiles.Durability.FULL);
            return new SqliteEventQueue(writer, reader, maxQueuedOf);
        } catch (SQLException | IOException e) {
            throw new IllegalStateException("cannot open events.db in " + dataDir, e);
        }
    }

    /** What a change handed in during shutdown fails with. */
    static KilnException shuttingDown() {
        return new KilnException(ErrorCode.OVERLOADED, "Kiln is shutting down; retry later");
    }

    // ---------------------------------------------------------------- writes (writer thread)

    @Override
    public CompletableFuture<Boolean> enqueue(
            List<NewEvent> events, FireMark mark, Overflow overflow) {
        List<NewEvent> copy = List.copyOf(events);
        return submit(null, c -> writes.enqueue(c, copy, mark, overflow));
    }

    @Override
    public CompletableFuture<List<QueuedEvent>> lease(
            int max, Instant now, ToIntFunction<FunctionName> inFlightCap) {
        return submit(null, c -> leases.lease(c, max, now.toEpochMilli(), inFlightCap));
    }

    @Override
    public CompletableFuture<Void> complete(QueuedEvent leased, Completion completion) {
        return submit(
                leased.seq(),
                c -> {
                    writes.complete(c, leased, completion);
                    return null;
                });
    }

    @Override
    public CompletableFuture<Boolean> deleteMark(String key) {
        return submit(null, c -> writes.deleteMark(key));
    }

    @Override
    public CompletableFuture<Integer> deleteMarksWithPrefix(String prefix) {
        return submit(null, c -> writes.deleteMarksWithPrefix(prefix));
    }

    @Override
    public CompletableFuture<Integer> redrive(String service, String function, String requestId) {
        return submit(null, c -> writes.redrive(c, service, function, requestId));
    }

    @Override
    public CompletableFuture<Boolean> deleteDeadLetter(
            String service, String function, String requestId) {
        return submit(null, c -> writes.deleteDeadLetter(service, function, requestId));
    }

    @Override
    public CompletableFuture<Void> purge(String service, String function) {
        return submit(
                null,
                c -> {
                    writes.purge(c, service, function);
                    return null;
                });
    }

    @Override
    public void onChange(Runnable listener) {
        batches.onChange(listener);
    }

    private <T> CompletableFuture<T> submit(Long endsLease, EventOp.Body<T> body) {
        EventOp<T> op = new EventOp<>(endsLease, body);
        if (!writer.offer(op)) {
            op.fail(shuttingDown());
        }
        return op.future;
    }

    // ---------------------------------------------------------------- reads (any thread)

    @Override
    public Optional<Instant> nextDueAfter(Instant now) {
        return reads.nextDueAfter(now);
    }

    @Override
    public Stats stats(String service, String function) {
        return reads.stats(service, function);
    }

    @Override
    public Map<FunctionName, Stats> allStats() {
        return reads.allStats();
    }

    @Override
    public Optional<Instant> lastMark(String key) {
        return reads.lastMark(key);
    }

    @Override
    public List<QueuedEvent> queued(String service, String function, int limit, long afterSeq) {
        return reads.queued(service, function, limit, afterSeq);
    }

    @Override
    public Optional<QueuedEvent> queuedEvent(String service, String function, String requestId) {
        return reads.queuedEvent(service, function, requestId);
    }

    @Override
    public List<DeadLetter> deadLetters(
            String service, String function, int limit, long beforeSeq) {
        return reads.deadLetters(service, function, limit, beforeSeq);
    }

    @Override
    public Optional<DeadLetter> deadLetter(String service, String function, String requestId) {
        return reads.deadLetter(service, function, requestId);
    }

    /**
     * Stops taking changes, writes those already handed in (waiting up to 10 s), fails any left
     * with {@code overloaded}, and closes the files.
     */
    @Override
    public void close() {
        writer.close(CLOSE_WAIT);
        try {
            writerDb.close();
        } catch (SQLException e) {
            log.warn("closing events.db failed: {}", e.toString());
        }
        reads.close();
    }
}
