package dev.kiln.host.observability;

import dev.kiln.host.observability.InvocationStore.Listed;
import dev.kiln.host.storage.CoreYield;
import dev.kiln.host.storage.Sql;
import java.io.ByteArrayOutputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.PriorityQueue;

/**
 * The invocation records in {@code records.db}'s table {@code invocation_chunks} (docs/adr/0069): a
 * row per function per written batch, holding its records as a {@link RecordChunks} text, with the
 * bounds that find a record without reading every chunk — its newest and oldest listing {@link
 * RecordChunks.Key}s and its smallest and largest request ids. A record is stored once: one that
 * replaces another (an event's next attempt) is taken out of its old chunk first. Callers hold the
 * store's lock on the connection.
 */
final class ChunkTable implements AutoCloseable {
    private static final String BOUNDS =
            "newest_at, newest_id, oldest_at, oldest_id, min_id, max_id, record_count, log_lines,"
                    + " records";

    private final Connection db;
    private PreparedStatement insert;
    private PreparedStatement holdingQuery;
    // Each chunk's JSON is written here first; kept for the next (callers hold the lock).
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(64 * 1024);

    ChunkTable(Connection db) {
        this.db = db;
    }

    /** Creates the table and its indexes. */
    static void createTable(Statement st) throws SQLException {
        st.execute(
                "CREATE TABLE invocation_chunks (id INTEGER PRIMARY KEY,"
                        + " service TEXT NOT NULL, function TEXT NOT NULL,"
                        + " newest_at INTEGER NOT NULL, newest_id TEXT NOT NULL,"
                        + " oldest_at INTEGER NOT NULL, oldest_id TEXT NOT NULL,"
                        + " min_id TEXT NOT NULL, max_id TEXT NOT NULL,"
                        + " record_count INTEGER NOT NULL, log_lines INTEGER NOT NULL,"
                        + " records BLOB NOT NULL)");
        // Listings walk a function's chunks newest first.
        st.execute(
                "CREATE INDEX invocation_chunks_newest ON invocation_chunks"
                        + " (service, function, newest_at DESC, newest_id DESC)");
        // A lookup by request id starts at the chunks written since the id was made.
        st.execute(
                "CREATE INDEX invocation_chunks_ids ON invocation_chunks"
                        + " (service, function, max_id)");
    }

    /**
     * Creates the view {@code invocations}: a record a row, as the table of that name was before
     * (docs/adr/0063), for SQL written by hand.
     */
    static void createView(Statement st) throws SQLException {
        StringBuilder view =
                new StringBuilder("CREATE VIEW invocations AS SELECT json_extract(r.value, '$[0]')")
                        .append(" AS request_id, c.service AS service, c.function AS function");
        for (int i = 1; i < RecordChunks.FIELDS.size(); i++) {
            view.append(", json_extract(r.value, '$[")
                    .append(i)
                    .append("]') AS ")
                    .append(RecordChunks.FIELDS.get(i));
        }
        // The records are UTF-8 JSON in a blob; SQLite reads a blob given to json_each as JSONB.
        view.append(" FROM invocation_chunks c, json_each(CAST(c.records AS TEXT)) r");
        st.execute(view.toString());
    }

    /** Stores {@code records}, one function's records in any order, as one chunk. */
    void insert(String service, String function, List<Listed> records, String localNode)
            throws SQLException {
        if (records.isEmpty()) {
            return;
        }
        if (insert == null) {
            // Prepared once: the writer runs it for every batch.
            insert =
                    db.prepareStatement(
                            "INSERT INTO invocation_chunks (service, function, "
                                    + BOUNDS
                                    + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
        }
        Object[] bounds = bounds(records, localNode);
        Object[] params = new Object[bounds.length + 2];
        params[0] = service;
        params[1] = function;
        System.arraycopy(bounds, 0, params, 2, bounds.length);
        Sql.bind(insert, params);
        insert.executeUpdate();
    }

    /** The values of {@link #BOUNDS} for a chunk of {@code records}. */
    private Object[] bounds(List<Listed> records, String localNode) {
        InvocationRecord first = records.getFirst().record();
        RecordChunks.Key newest = RecordChunks.Key.of(first);
        RecordChunks.Key oldest = newest;
        String min = first.requestId();
        String max = min;
        long lines = 0;
        for (Listed l : records) {
            InvocationRecord r = l.record();
            String id = r.requestId();
            if (id.compareTo(min) < 0) {
                min = id;
            } else if (id.compareTo(max) > 0) {
                max = id;
            }
            // Records come about in the order they started, give or take the workers: most are
            // decided by their start alone.
            long at = r.startedAt().toEpochMilli();
            if (at >= newest.startedAt()
                    && (at > newest.startedAt() || id.compareTo(newest.requestId()) > 0)) {
                newest = new RecordChunks.Key(at, id);
            } else if (at <= oldest.startedAt()
                    && (at < oldest.startedAt() || id.compareTo(oldest.requestId()) < 0)) {
                oldest = new RecordChunks.Key(at, id);
            }
            lines += l.logCount();
        }
        return new Object[] {
            newest.startedAt(),
            newest.requestId(),
            oldest.startedAt(),
            oldest.requestId(),
            min,
            max,
            records.size(),
            lines,
            RecordChunks.encode(records, localNode, buffer)
        };
    }

    /** A stored chunk: its row id and records, in its order. */
    private record Chunk(long id, List<Listed> records) {}

    /** The chunks of a function that may hold {@code requestId}. */
    private List<Chunk> holding(String service, String function, String requestId)
            throws SQLException {
        if (holdingQuery == null) {
            // Prepared once: a node reading other nodes' records looks up each of them.
            holdingQuery =
                    db.prepareStatement(
                            "SELECT id, records FROM invocation_chunks WHERE service = ?"
                                    + " AND function = ? AND max_id >= ? AND min_id <= ?");
        }
        Sql.bind(holdingQuery, service, function, requestId, requestId);
        List<Chunk> out = new ArrayList<>(1);
        try (ResultSet rs = holdingQuery.executeQuery()) {
            while (rs.next()) {
                out.add(
                        new Chunk(
                                rs.getLong(1),
                                RecordChunks.decode(rs.getBytes(2), service, function)));
            }
        }
        return out;
    }

    /** The stored record {@code requestId} of a function, without its log lines. */
    Optional<Listed> find(String service, String function, String requestId) throws SQLException {
        for (Chunk c : holding(service, function, requestId)) {
            for (Listed l : c.records()) {
                if (l.record().requestId().equals(requestId)) {
                    return Optional.of(l);
                }
            }
        }
        return Optional.empty();
    }

    /** Takes the stored record {@code requestId} of a function out of its chunk, if stored. */
    void remove(String service, String function, String requestId) throws SQLException {
        for (Chunk c : holding(service, function, requestId)) {
            List<Listed> kept = new ArrayList<>(c.records().size());
            for (Listed l : c.records()) {
                if (!l.record().requestId().equals(requestId)) {
                    kept.add(l);
                }
            }
            if (kept.size() < c.records().size()) {
                rewrite(c.id(), kept);
            }
        }
    }

    private void rewrite(long id, List<Listed> kept) throws SQLException {
        if (kept.isEmpty()) {
            Sql.update(db, "DELETE FROM invocation_chunks WHERE id = ?", id);
            return;
        }
        try (PreparedStatement st =
                db.prepareStatement(
                        "UPDATE invocation_chunks SET ("
                                + BOUNDS
                                + ") = (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                                + " WHERE id = ?")) {
            Object[] bounds = bounds(kept, null);
            Object[] params = java.util.Arrays.copyOf(bounds, bounds.length + 1);
            params[bounds.length] = id;
            Sql.bind(st, params);
            st.executeUpdate();
        }
    }

    /**
     * A function's newest {@code limit} records (older than {@code before}, when given), newest
     * first. Chunks are walked by their newest record; they may overlap (a long invocation ends in
     * a later batch than shorter ones started after it), so the walk stops only at a chunk whose
     * newest record is older than every record already taken.
     */
    List<Listed> newest(String service, String function, int limit, RecordChunks.Key before)
            throws SQLException {
        if (limit <= 0) {
            return List.of();
        }
        PriorityQueue<Listed> top = new PriorityQueue<>(Comparator.comparing(ChunkTable::key));
        String sql =
                "SELECT newest_at, newest_id, records FROM invocation_chunks"
                        + " WHERE service = ? AND function = ?"
                        + (before == null ? "" : " AND (oldest_at, oldest_id) < (?, ?)")
                        + " ORDER BY newest_at DESC, newest_id DESC";
        try (PreparedStatement st = db.prepareStatement(sql)) {
            if (before == null) {
                Sql.bind(st, service, function);
            } else {
                Sql.bind(st, service, function, before.startedAt(), before.requestId());
            }
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    RecordChunks.Key newest = new RecordChunks.Key(rs.getLong(1), rs.getString(2));
                    if (top.size() == limit && newest.compareTo(key(top.peek())) < 0) {
                        break;
                    }
                    for (Listed l : RecordChunks.decode(rs.getBytes(3), service, function)) {
                        if (before != null && key(l).compareTo(before) >= 0) {
                            continue;
                        }
                        top.add(l);
                        if (top.size() > limit) {
                            top.poll();
                        }
                    }
                }
            }
        }
        List<Listed> out = new ArrayList<>(top);
        out.sort(Comparator.comparing(ChunkTable::key).reversed());
        return out;
    }

    private static RecordChunks.Key key(Listed l) {
        return RecordChunks.Key.of(l.record());
    }

    /**
     * Takes out every record of a function at or older than {@code cut}: whole chunks, and the
     * older part of chunks that straddle it.
     *
     * @return the request ids of the records taken out that had log lines
     */
    List<String> removeUpTo(String service, String function, RecordChunks.Key cut)
            throws SQLException {
        List<String> withLines = new ArrayList<>();
        record Older(long id, RecordChunks.Key newest, long lines) {}
        // Without the records: most of these chunks go whole, unread.
        List<Older> older =
                Sql.list(
                        db,
                        "SELECT id, newest_at, newest_id, log_lines FROM invocation_chunks"
                                + " WHERE service = ? AND function = ?"
                                + " AND (oldest_at, oldest_id) <= (?, ?)",
                        rs ->
                                new Older(
                                        rs.getLong(1),
                                        new RecordChunks.Key(rs.getLong(2), rs.getString(3)),
                                        rs.getLong(4)),
                        service,
                        function,
                        cut.startedAt(),
                        cut.requestId());
        for (Older o : older) {
            // Each is a statement SQLite runs in one go, freeing the chunk's pages (~30-60 µs); a
            // trim takes out dozens, the whole loop without a yield was a stretch of milliseconds.
            CoreYield.now();
            boolean whole = o.newest().compareTo(cut) <= 0;
            if (whole && o.lines() == 0) {
                // Nothing to read in it: most chunks of a function that never logs.
                rewrite(o.id(), List.of());
                continue;
            }
            byte[] records =
                    Sql.first(
                                    db,
                                    "SELECT records FROM invocation_chunks WHERE id = ?",
                                    rs -> rs.getBytes(1),
                                    o.id())
                            .orElseThrow();
            List<Listed> kept = new ArrayList<>();
            for (Listed l : RecordChunks.decode(records, service, function)) {
                if (key(l).compareTo(cut) > 0) {
                    kept.add(l);
                } else if (l.logCount() > 0) {
                    withLines.add(l.record().requestId());
                }
            }
            rewrite(o.id(), kept);
        }
        return withLines;
    }

    /**
     * The newest record of a function past its newest {@code keep}, if it has more: it and every
     * older one are what a trim to {@code keep} takes out.
     */
    Optional<RecordChunks.Key> firstBeyond(String service, String function, int keep)
            throws SQLException {
        List<Listed> newest = newest(service, function, keep + 1, null);
        return newest.size() <= keep ? Optional.empty() : Optional.of(key(newest.getLast()));
    }

    /** A function with records stored: how many, and when its oldest started (epoch ms). */
    record Stored(String service, String function, long records, long oldestAt) {}

    /** Every function with records stored. */
    List<Stored> functions() throws SQLException {
        return Sql.list(
                db,
                "SELECT service, function, SUM(record_count), MIN(oldest_at)"
                        + " FROM invocation_chunks GROUP BY service, function",
                rs -> new Stored(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4)));
    }

    /** How many records of a function are stored. */
    long count(String service, String function) throws SQLException {
        return Sql.number(
                db,
                "SELECT SUM(record_count) FROM invocation_chunks WHERE service = ? AND function ="
                        + " ?",
                service,
                function);
    }

    @Override
    public void close() throws SQLException {
        for (PreparedStatement st : new PreparedStatement[] {insert, holdingQuery}) {
            if (st != null) {
                st.close();
            }
        }
    }
}
