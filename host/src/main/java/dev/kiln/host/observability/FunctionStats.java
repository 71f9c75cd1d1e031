package dev.kiln.host.observability;

import dev.kiln.host.storage.CoreYield;
import dev.kiln.host.storage.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Per-function statistics for charts (docs/adr/0043): one {@link StatsWindow} per function per
 * minute. The minutes still open live in memory; closed ones are written to {@code records.db}
 * table {@code stats_minutes} (histograms in HdrHistogram's compressed form), merging with a row
 * already stored for that minute (a record that arrives late). Queries merge stored minutes and the
 * open ones into steps; nothing is recomputed from invocation records.
 *
 * <p>Memory: at most {@link #MAX_OPEN_WINDOWS} open windows (a few KiB each); past that every open
 * window is written out at once. Locks: {@code db} (the store's connection) before {@code this}.
 */
public final class FunctionStats {
    static final long MINUTE_MS = 60_000;

    /** Open (in-memory) minute windows at most, all functions together. */
    public static final int MAX_OPEN_WINDOWS = 1024;

    /** Points one query may return at most. */
    public static final int MAX_POINTS = 1440;

    // A minute is written once it has been over this long (records of it may still be queued).
    private static final long GRACE_MS = 5_000;

    private final Connection db;
    private final Map<Key, StatsWindow> open = new HashMap<>(); // guarded by this

    private record Key(String service, String function, long minute) {
        static Key of(InvocationRecord r) {
            return new Key(r.service(), r.function(), minuteOf(r));
        }

        boolean holds(InvocationRecord r) {
            return minute == minuteOf(r)
                    && service.equals(r.service())
                    && function.equals(r.function());
        }

        private static long minuteOf(InvocationRecord r) {
            return floor(r.startedAt().toEpochMilli(), MINUTE_MS);
        }
    }

    FunctionStats(Connection db) {
        this.db = db;
    }

    static void createTables(Statement st) throws SQLException {
        st.execute(
                "CREATE TABLE IF NOT EXISTS stats_minutes ("
                        + " service TEXT NOT NULL, function TEXT NOT NULL,"
                        + " minute INTEGER NOT NULL, count INTEGER NOT NULL,"
                        + " errors TEXT NOT NULL, starts TEXT NOT NULL,"
                        + " fuel_sum INTEGER NOT NULL, latency BLOB, fuel BLOB,"
                        + " PRIMARY KEY (service, function, minute)) WITHOUT ROWID");
        st.execute("CREATE INDEX IF NOT EXISTS stats_minutes_age ON stats_minutes (minute)");
    }

    /** Counts written records (the writer thread, after their batch committed). */
    synchronized void add(List<InvocationRecord> records) {
        CoreYield pace = new CoreYield();
        Key key = null;
        StatsWindow window = null;
        for (InvocationRecord r : records) {
            pace.step();
            // A run of records of one function and minute finds its window once.
            if (key == null || !key.holds(r)) {
                key = Key.of(r);
                window = open.computeIfAbsent(key, k -> new StatsWindow());
            }
            window.add(r);
        }
    }

    /** Whether too many windows are open (the writer then writes them all). */
    synchronized boolean crowded() {
        return open.size() > MAX_OPEN_WINDOWS;
    }

    /**
     * Writes the windows closed by {@code nowMs} (every window when {@code all}) and forgets them.
     * The caller holds {@code db}'s lock.
     */
    void persist(long nowMs, boolean all) throws SQLException {
        List<Map.Entry<Key, StatsWindow>> due = new ArrayList<>();
        synchronized (this) {
            var it = open.entrySet().iterator();
            while (it.hasNext()) {
                var e = it.next();
                if (all || e.getKey().minute() + MINUTE_MS + GRACE_MS <= nowMs) {
                    due.add(e);
                    it.remove();
                }
            }
        }
        if (due.isEmpty()) {
            return;
        }
        Sql.inTransaction(
                db,
                () -> {
                    try (PreparedStatement put =
                            db.prepareStatement(
                                    "INSERT OR REPLACE INTO stats_minutes VALUES"
                                            + " (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                        for (var e : due) {
                            Key k = e.getKey();
                            StatsWindow w = e.getValue();
                            stored(k.service(), k.function(), k.minute(), k.minute() + 1)
                                    .values()
                                    .forEach(w::merge);
                            Sql.bind(
                                    put,
                                    k.service(),
                                    k.function(),
                                    k.minute(),
                                    w.count,
                                    StatsWindow.encodeCounts(w.errors),
                                    StatsWindow.encodeCounts(w.starts),
                                    w.fuelSum,
                                    StatsWindow.encode(w.latencyMicros),
                                    StatsWindow.encode(w.fuel));
                            put.addBatch();
                        }
                        put.executeBatch();
                    }
                });
    }

    /** Deletes minutes older than {@code retention}; the caller holds {@code db}'s lock. */
    void prune(Instant now, Duration retention) throws SQLException {
        Sql.update(
                db,
                "DELETE FROM stats_minutes WHERE minute < ?",
                now.minus(retention).toEpochMilli());
    }

    /**
     * The steps of {@code [from, to)} for one function, {@code stepMs} long (a multiple of a
     * minute), every step present (empty ones with count 0). The caller holds {@code db}'s lock.
     */
    List<StatsPoint> query(String service, String function, long from, long to, long stepMs)
            throws SQLException {
        if (stepMs < MINUTE_MS || stepMs % MINUTE_MS != 0) {
            throw new IllegalArgumentException("step must be a whole number of minutes");
        }
        long start = floor(from, stepMs);
        int points = (int) Math.max(0, (to - start + stepMs - 1) / stepMs);
        if (points > MAX_POINTS) {
            throw new IllegalArgumentException("at most " + MAX_POINTS + " points");
        }
        StatsWindow[] steps = new StatsWindow[points];
        for (int i = 0; i < points; i++) {
            steps[i] = StatsWindow.accumulator();
        }
        long end = start + (long) points * stepMs;
        stored(service, function, start, end)
                .forEach((minute, w) -> steps[(int) ((minute - start) / stepMs)].merge(w));
        synchronized (this) {
            open.forEach(
                    (k, w) -> {
                        if (k.service().equals(service)
                                && k.function().equals(function)
                                && k.minute() >= start
                                && k.minute() < end) {
                            steps[(int) ((k.minute() - start) / stepMs)].merge(w);
                        }
                    });
        }
        List<StatsPoint> out = new ArrayList<>(points);
        for (int i = 0; i < points; i++) {
            out.add(steps[i].point(Instant.ofEpochMilli(start + i * stepMs)));
        }
        return out;
    }

    /** Stored minutes of one function in {@code [from, to)}, by minute. */
    private Map<Long, StatsWindow> stored(String service, String function, long from, long to)
            throws SQLException {
        Map<Long, StatsWindow> out = new HashMap<>();
        Sql.list(
                db,
                "SELECT minute, count, errors, starts, fuel_sum, latency, fuel FROM stats_minutes"
                        + " WHERE service = ? AND function = ? AND minute >= ? AND minute < ?",
                rs -> {
                    StatsWindow w = new StatsWindow();
                    w.count = rs.getLong(2);
                    StatsWindow.decodeCounts(rs.getString(3), w.errors);
                    StatsWindow.decodeCounts(rs.getString(4), w.starts);
                    w.fuelSum = rs.getLong(5);
                    w.latencyMicros = StatsWindow.decodeLatency(rs.getBytes(6));
                    w.fuel = StatsWindow.decodeFuel(rs.getBytes(7));
                    out.put(rs.getLong(1), w);
                    return w;
                },
                service,
                function,
                from,
                to);
        return out;
    }

    static long floor(long ms, long unit) {
        return Math.floorDiv(ms, unit) * unit;
    }
}
