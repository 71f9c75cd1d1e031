package dev.kiln.host.events;

import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.FunctionName;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.storage.Sql;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The queue's read queries, on their own connection (any thread, one at a time): they see what the
 * writer has committed, and never wait for its transaction.
 */
final class EventReads implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EventReads.class);

    private final Connection db;
    private final QueueState state;

    EventReads(Connection db, QueueState state) {
        this.db = db;
        this.state = state;
    }

    /** Stored events per function, to start the in-memory depth from. */
    static Map<FunctionName, Long> storedDepth(Connection db) throws SQLException {
        Map<FunctionName, Long> depth = new HashMap<>();
        for (var row :
                Sql.list(
                        db,
                        "SELECT service, function, COUNT(*) FROM events GROUP BY 1, 2",
                        rs -> Map.entry(functionName(rs), rs.getLong(3)))) {
            depth.put(row.getKey(), row.getValue());
        }
        return depth;
    }

    /** The last fire mark under {@code key}, read on {@code db} (the writer reads it too). */
    static Optional<Instant> lastMark(Connection db, String key) throws SQLException {
        return Sql.first(
                db,
                "SELECT scheduled_at FROM fire_marks WHERE key = ?",
                rs -> Instant.ofEpochMilli(rs.getLong(1)),
                key);
    }

    /** A read that may fail with the database's exception. */
    @FunctionalInterface
    private interface Query<T> {
        T run() throws SQLException;
    }

    private <T> T read(Query<T> query) {
        synchronized (db) {
            try {
                return query.run();
            } catch (SQLException e) {
                log.error("event queue read failed", e);
                throw new KilnException(ErrorCode.INTERNAL, "the event queue could not be read");
            }
        }
    }

    Optional<Instant> nextDueAfter(Instant now) {
        return read(
                () ->
                        Sql.first(
                                db,
                                "SELECT MIN(due_at) FROM events WHERE due_at > ?",
                                rs -> {
                                    long v = rs.getLong(1);
                                    return rs.wasNull() || v == 0 ? null : Instant.ofEpochMilli(v);
                                },
                                now.toEpochMilli()));
    }

    EventQueue.Stats stats(String service, String function) {
        FunctionName key = new FunctionName(service, function);
        return read(
                () -> {
                    long oldest =
                            Sql.number(
                                    db,
                                    "SELECT MIN(created_at) FROM events WHERE service = ? AND"
                                            + " function = ?",
                                    service,
                                    function);
                    long dead =
                            Sql.number(
                                    db,
                                    "SELECT COUNT(*) FROM dead_letters WHERE service = ? AND"
                                            + " function = ?",
                                    service,
                                    function);
                    return new EventQueue.Stats(
                            state.depth(key),
                            state.leased(key),
                            oldest > 0 ? Instant.ofEpochMilli(oldest) : null,
                            dead);
                });
    }

    Map<FunctionName, EventQueue.Stats> allStats() {
        Map<FunctionName, Instant> oldest = new TreeMap<>();
        Map<FunctionName, Long> dead = new TreeMap<>();
        read(
                () -> {
                    for (var row :
                            Sql.list(
                                    db,
                                    "SELECT service, function, MIN(created_at) FROM events"
                                            + " GROUP BY 1, 2",
                                    rs ->
                                            Map.entry(
                                                    functionName(rs),
                                                    Instant.ofEpochMilli(rs.getLong(3))))) {
                        oldest.put(row.getKey(), row.getValue());
                    }
                    for (var row :
                            Sql.list(
                                    db,
                                    "SELECT service, function, COUNT(*) FROM dead_letters"
                                            + " GROUP BY 1, 2",
                                    rs -> Map.entry(functionName(rs), rs.getLong(3)))) {
                        dead.put(row.getKey(), row.getValue());
                    }
                    return null;
                });
        Set<FunctionName> keys = new TreeSet<>(oldest.keySet());
        keys.addAll(dead.keySet());
        keys.addAll(state.functionsWithEvents());
        Map<FunctionName, EventQueue.Stats> out = new TreeMap<>();
        for (FunctionName k : keys) {
            out.put(
                    k,
                    new EventQueue.Stats(
                            state.depth(k),
                            state.leased(k),
                            oldest.get(k),
                            dead.getOrDefault(k, 0L)));
        }
        return out;
    }

    Optional<Instant> lastMark(String key) {
        return read(() -> lastMark(db, key));
    }

    /** The function named by a row's first two columns, {@code service} and {@code function}. */
    private static FunctionName functionName(ResultSet rs) throws SQLException {
        return new FunctionName(rs.getString(1), rs.getString(2));
    }

    List<QueuedEvent> queued(String service, String function, int limit, long afterSeq) {
        return read(
                () ->
                        Sql.list(
                                db,
                                "SELECT "
                                        + EventRows.EVENT_COLUMNS_NO_PAYLOAD
                                        + " FROM events WHERE service = ? AND function = ?"
                                        + " AND seq > ? ORDER BY seq LIMIT ?",
                                EventRows::event,
                                service,
                                function,
                                afterSeq,
                                limit));
    }

    Optional<QueuedEvent> queuedEvent(String service, String function, String requestId) {
        return read(
                () ->
                        Sql.first(
                                db,
                                "SELECT "
                                        + EventRows.EVENT_COLUMNS
                                        + " FROM events WHERE service = ? AND function = ?"
                                        + " AND request_id = ?",
                                EventRows::event,
                                service,
                                function,
                                requestId));
    }

    List<DeadLetter> deadLetters(String service, String function, int limit, long beforeSeq) {
        return read(
                () ->
                        Sql.list(
                                db,
                                "SELECT "
                                        + EventRows.DEAD_LETTER_COLUMNS_NO_PAYLOAD
                                        + " FROM dead_letters"
                                        + " WHERE service = ? AND function = ? AND seq < ?"
                                        + " ORDER BY seq DESC LIMIT ?",
                                EventRows::deadLetter,
                                service,
                                function,
                                beforeSeq <= 0 ? Long.MAX_VALUE : beforeSeq,
                                limit));
    }

    Optional<DeadLetter> deadLetter(String service, String function, String requestId) {
        return read(
                () ->
                        Sql.first(
                                db,
                                "SELECT "
                                        + EventRows.DEAD_LETTER_COLUMNS_WITH_PAYLOAD
                                        + " FROM dead_letters"
                                        + " WHERE service = ? AND function = ? AND request_id = ?",
                                EventRows::deadLetter,
                                service,
                                function,
                                requestId));
    }

    @Override
    public void close() {
        synchronized (db) {
            try {
                db.close();
            } catch (SQLException e) {
                log.warn("closing events.db failed: {}", e.toString());
            }
        }
    }
}
