package dev.kiln.host.events;

import dev.kiln.host.core.FunctionName;
import dev.kiln.host.storage.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.ToIntFunction;

/**
 * Leases due events, oldest due first, within each function's in-flight cap: the one query of the
 * queue that decides who runs next. Runs on the writer thread inside the writer's transaction.
 */
final class EventLeases {
    private final Connection db;

    EventLeases(Connection db) {
        this.db = db;
    }

    List<QueuedEvent> lease(
            QueueState.Changes c, int max, long now, ToIntFunction<FunctionName> inFlightCap)
            throws SQLException {
        List<QueuedEvent> out = new ArrayList<>();
        if (max <= 0) {
            return out;
        }
        Map<FunctionName, Long> leased = c.leasedPerFunction();
        Set<Long> excluded = c.leasedEvents();
        // Functions at their cap are left out by the query itself: skipping their rows after
        // reading them would let one capped function with a long backlog of older events fill
        // every window, so that no other function's events were ever reached (starvation). The
        // index scan still passes over their due rows (about 0.4 µs each: 4 ms for a backlog of
        // 10 000), the price of one global oldest-first order.
        Set<FunctionName> capped = new TreeSet<>();
        leased.forEach(
                (fn, n) -> {
                    int cap = inFlightCap.applyAsInt(fn);
                    if (cap > 0 && n >= cap) {
                        capped.add(fn);
                    }
                });
        while (out.size() < max) {
            int limit = (max - out.size()) * 4 + 16;
            boolean skipped = false;
            int rows = 0;
            // Read row by row and stop at max: the window may hold four times as many payloads.
            try (PreparedStatement st =
                    db.prepareStatement(dueQuery(excluded.size(), capped.size()))) {
                Sql.bind(st, dueParams(now, excluded, capped, limit));
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next() && out.size() < max) {
                        rows++;
                        QueuedEvent e = EventRows.event(rs);
                        FunctionName fn = e.functionKey();
                        if (capped.contains(fn)) {
                            skipped = true; // it reached its cap earlier in this window
                            continue;
                        }
                        excluded.add(e.seq());
                        long n = leased.merge(fn, 1L, Long::sum);
                        int cap = inFlightCap.applyAsInt(fn);
                        if (cap > 0 && n >= cap) {
                            capped.add(fn);
                        }
                        out.add(attempted(e));
                    }
                }
            }
            // Look again only if rows were passed over for a function that filled up in this
            // window and more rows may lie beyond it: each pass caps at least one more function,
            // so this ends.
            if (!skipped || rows < limit) {
                break;
            }
        }
        if (out.isEmpty()) {
            return out;
        }
        try (PreparedStatement up =
                db.prepareStatement("UPDATE events SET attempts = attempts + 1 WHERE seq = ?")) {
            for (QueuedEvent e : out) {
                Sql.bind(up, e.seq());
                up.addBatch();
                c.leasesAdded.put(e.seq(), e.functionKey());
            }
            up.executeBatch();
        }
        return out;
    }

    /** The event as its lease hands it out: with the attempt the lease counts. */
    private static QueuedEvent attempted(QueuedEvent e) {
        return new QueuedEvent(
                e.seq(),
                e.fields(),
                e.depth(),
                e.createdAt(),
                e.attempts() + 1,
                e.dueAt(),
                e.lastError(),
                e.lastMessage(),
                e.qualifier(),
                e.trace());
    }

    /** Due events, oldest due first, except the leased ones and those of capped functions. */
    private static String dueQuery(int excluded, int capped) {
        StringBuilder sql =
                new StringBuilder(
                        "SELECT " + EventRows.EVENT_COLUMNS + " FROM events WHERE due_at <= ?");
        if (excluded > 0) {
            sql.append(" AND seq NOT IN (").append("?,".repeat(excluded - 1)).append("?)");
        }
        if (capped > 0) {
            sql.append(" AND (service, function) NOT IN (VALUES ")
                    .append("(?, ?),".repeat(capped - 1))
                    .append("(?, ?))");
        }
        return sql.append(" ORDER BY due_at, seq LIMIT ?").toString();
    }

    private static Object[] dueParams(
            long now, Set<Long> excluded, Set<FunctionName> capped, int limit) {
        List<Object> params = new ArrayList<>();
        params.add(now);
        params.addAll(excluded);
        for (FunctionName fn : capped) {
            params.add(fn.service());
            params.add(fn.function());
        }
        params.add(limit);
        return params.toArray();
    }
}
