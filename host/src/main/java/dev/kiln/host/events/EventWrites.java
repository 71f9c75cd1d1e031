package dev.kiln.host.events;

import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.FunctionName;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.storage.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.ToIntFunction;

/**
 * The queue's changes in SQL: each method runs on the writer thread inside the current
 * transaction's savepoint and records what it changed in memory in the {@link QueueState.Changes}
 * (applied only once the transaction commits). A refusal is a {@link KilnException}, which undoes
 * just that change.
 */
final class EventWrites {
    private final Connection db;
    private final ToIntFunction<FunctionName> maxQueuedOf;

    EventWrites(Connection db, ToIntFunction<FunctionName> maxQueuedOf) {
        this.db = db;
        this.maxQueuedOf = maxQueuedOf;
    }

    boolean enqueue(
            QueueState.Changes c,
            List<NewEvent> events,
            FireMark mark,
            EventQueue.Overflow overflow)
            throws SQLException {
        if (mark != null) {
            Optional<Instant> last = EventReads.lastMark(db, mark.key());
            if (last.isPresent() && !mark.scheduledAt().isAfter(last.get())) {
                return false;
            }
            Sql.update(
                    db,
                    "INSERT INTO fire_marks VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET"
                            + " scheduled_at = excluded.scheduled_at",
                    mark.key(),
                    mark.scheduledAt().toEpochMilli());
        }
        Map<FunctionName, Integer> perFunction = new TreeMap<>();
        for (NewEvent e : events) {
            perFunction.merge(e.functionKey(), 1, Integer::sum);
        }
        for (var entry : perFunction.entrySet()) {
            long max = maxQueuedOf.applyAsInt(entry.getKey());
            if (c.depth(entry.getKey()) + entry.getValue() > max) {
                if (overflow == EventQueue.Overflow.DROP_EVENTS) {
                    return false;
                }
                throw new KilnException(
                        ErrorCode.OVERLOADED,
                        "the event queue of "
                                + entry.getKey()
                                + " is full ("
                                + max
                                + " events); retry later");
            }
        }
        insertAll(c, events);
        return true;
    }

    void complete(QueueState.Changes c, QueuedEvent leased, Completion completion)
            throws SQLException {
        c.leasesRemoved.add(leased.seq());
        switch (completion) {
            case Completion.Done d -> {
                delete(c, leased);
                insertAll(c, d.followUps());
            }
            case Completion.Retry r -> retry(leased, r);
            case Completion.DeadLettered d -> {
                if (d.keepInList()) {
                    moveToDeadLetters(leased, d);
                }
                delete(c, leased);
                insertAll(c, d.followUps());
            }
            case Completion.Discarded x -> delete(c, leased);
        }
    }

    private void retry(QueuedEvent e, Completion.Retry r) throws SQLException {
        Sql.update(
                db,
                "UPDATE events SET due_at = ?, last_error = ?, last_message = ?,"
                        + " attempts = attempts - ? WHERE seq = ?",
                r.dueAt().toEpochMilli(),
                r.errorCode(),
                r.message(),
                r.counted() ? 0 : 1,
                e.seq());
    }

    private void moveToDeadLetters(QueuedEvent e, Completion.DeadLettered d) throws SQLException {
        Sql.update(
                db,
                "INSERT OR REPLACE INTO dead_letters (request_id, service, function,"
                        + " trigger, source, payload, depth, created_at, dead_lettered_at,"
                        + " attempts, reason, error_code, error_message, qualifier, traceparent,"
                        + " tracestate) SELECT request_id, service, function, trigger, source,"
                        + " payload, depth, created_at, ?, ?, ?, ?, ?, qualifier, traceparent,"
                        + " tracestate"
                        + " FROM events WHERE seq = ?",
                System.currentTimeMillis(),
                d.attempts(),
                d.reason(),
                d.errorCode(),
                d.message(),
                e.seq());
    }

    private void delete(QueueState.Changes c, QueuedEvent e) throws SQLException {
        if (Sql.update(db, "DELETE FROM events WHERE seq = ?", e.seq()) > 0) {
            c.addDepth(e.functionKey(), -1);
        }
    }

    private void insertAll(QueueState.Changes c, List<NewEvent> events) throws SQLException {
        long now = System.currentTimeMillis();
        for (NewEvent e : events) {
            Sql.update(
                    db,
                    "INSERT INTO events (request_id, service, function, trigger, source,"
                            + " payload, depth, created_at, attempts, due_at, qualifier,"
                            + " traceparent, tracestate)"
                            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)",
                    e.requestId(),
                    e.service(),
                    e.function(),
                    e.trigger(),
                    e.source(),
                    e.payload(),
                    e.depth(),
                    now,
                    now,
                    e.qualifier(),
                    e.trace() == null ? null : e.trace().traceparent(),
                    e.trace() == null ? null : e.trace().traceState());
            c.addDepth(e.functionKey(), 1);
            c.madeEventsDue = true;
        }
    }

    boolean deleteMark(String key) throws SQLException {
        return Sql.update(db, "DELETE FROM fire_marks WHERE key = ?", key) > 0;
    }

    int deleteMarksWithPrefix(String prefix) throws SQLException {
        // Compared as a substring: LIKE would read _ and % in names as patterns.
        return Sql.update(
                db, "DELETE FROM fire_marks WHERE substr(key, 1, length(?1)) = ?1", prefix);
    }

    int redrive(QueueState.Changes c, String service, String function, String requestId)
            throws SQLException {
        FunctionName key = new FunctionName(service, function);
        String where =
                " WHERE service = ? AND function = ?"
                        + (requestId == null ? "" : " AND request_id = ?");
        Object[] which =
                requestId == null
                        ? new Object[] {service, function}
                        : new Object[] {service, function, requestId};
        int n = (int) Sql.number(db, "SELECT COUNT(*) FROM dead_letters" + where, which);
        if (n == 0) {
            return 0;
        }
        long max = maxQueuedOf.applyAsInt(key);
        if (c.depth(key) + n > max) {
            throw new KilnException(
                    ErrorCode.OVERLOADED,
                    n
                            + " dead letters do not fit the event queue of "
                            + key
                            + " ("
                            + max
                            + " events); retry later");
        }
        long now = System.currentTimeMillis();
        Object[] params = new Object[which.length + 2];
        params[0] = now;
        params[1] = now;
        System.arraycopy(which, 0, params, 2, which.length);
        Sql.update(
                db,
                "INSERT INTO events (request_id, service, function, trigger, source, payload,"
                        + " depth, created_at, attempts, due_at, qualifier, traceparent,"
                        + " tracestate) SELECT request_id, service, function, trigger, source,"
                        + " payload, depth, ?, 0, ?, qualifier, traceparent, tracestate"
                        + " FROM dead_letters"
                        + where
                        + " ORDER BY seq",
                params);
        Sql.update(db, "DELETE FROM dead_letters" + where, which);
        c.addDepth(key, n);
        c.madeEventsDue = true;
        return n;
    }

    boolean deleteDeadLetter(String service, String function, String requestId)
            throws SQLException {
        return Sql.update(
                        db,
                        "DELETE FROM dead_letters WHERE service = ? AND function = ?"
                                + " AND request_id = ?",
                        service,
                        function,
                        requestId)
                > 0;
    }

    void purge(QueueState.Changes c, String service, String function) throws SQLException {
        int n =
                Sql.update(
                        db,
                        "DELETE FROM events WHERE service = ? AND function = ?",
                        service,
                        function);
        c.addDepth(new FunctionName(service, function), -n);
        Sql.update(
                db,
                "DELETE FROM dead_letters WHERE service = ? AND function = ?",
                service,
                function);
    }
}
