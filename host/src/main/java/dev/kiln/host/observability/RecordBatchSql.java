package dev.kiln.host.observability;

import dev.kiln.abi.GuestLogLine;
import dev.kiln.host.storage.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * The statements that store a batch of records in {@code records.db}: the records, their log lines
 * and their usage (docs/adr/0043), and, for records that came from other nodes, the stream position
 * they were read up to (docs/adr/0057). Run inside the caller's transaction, under its lock on
 * {@code db}.
 */
final class RecordBatchSql implements AutoCloseable {
    private static final String ORIGIN = "origin";
    private static final String POSITION = "position:";
    // Under load, prune by volume too: a minute of records at 17k/s was a 300 MB file and a
    // prune that held the writer for seconds while the queue overflowed (docs/adr/0062).
    static final int PRUNE_AFTER_RECORDS = 20_000;

    private final Connection db;
    private PreparedStatement usageUpsert; // prepared once, on first use
    // Since the last prune of either kind: the functions written, and how many records.
    private final Set<Written> written = new HashSet<>();
    private long recordsWritten;

    RecordBatchSql(Connection db) {
        this.db = db;
    }

    /**
     * Stores {@code records} with their log lines and adds {@code usage} (theirs, from {@link
     * UsageLedger#sums}, plus that of records shed since the last batch); a record that names no
     * node is {@code localNode}'s.
     */
    void insert(
            List<InvocationRecord> records,
            String localNode,
            Map<UsageLedger.Bucket, UsageAmounts> usage)
            throws SQLException {
        try (PreparedStatement clear =
                        db.prepareStatement("DELETE FROM invocation_logs WHERE request_id = ?");
                PreparedStatement rec =
                        db.prepareStatement(
                                "INSERT OR REPLACE INTO invocations (request_id, service,"
                                        + " function, version, version_sha256, trigger,"
                                        + " started_at, duration_us, outcome, status, bytes_in,"
                                        + " bytes_out, fuel, start_kind, error, log_truncated,"
                                        + " attempt, memory_mib, key_id, trace_id, node) VALUES (?,"
                                        + " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                                        + " ?, ?)");
                PreparedStatement line =
                        db.prepareStatement(
                                "INSERT OR REPLACE INTO invocation_logs VALUES (?, ?, ?, ?, ?)")) {
            recordsWritten += records.size();
            for (InvocationRecord r : records) {
                written.add(new Written(r.service(), r.function()));
                if (mayReplace(r)) {
                    Sql.bind(clear, r.requestId());
                    clear.addBatch();
                }
                RecordRows.bind(rec, r, r.node() != null ? r.node() : localNode);
                rec.addBatch();
                int seq = 0;
                for (GuestLogLine l : r.logs()) {
                    Sql.bind(
                            line,
                            r.requestId(),
                            seq++,
                            l.epochMillis(),
                            l.level().name(),
                            l.message());
                    line.addBatch();
                }
            }
            clear.executeBatch();
            rec.executeBatch();
            line.executeBatch();
        }
        // Usage in the same transaction: both are stored, or neither.
        if (usageUpsert == null) {
            usageUpsert = UsageLedger.prepareUpsert(db);
        }
        UsageLedger.add(usageUpsert, usage);
    }

    /**
     * Whether a record with {@code r}'s request id may be stored already, so that its log lines
     * must go first: an event's attempt replaces the attempt before it, and another node's record
     * may be read again. This node's synchronous invocations (attempt 0) always have new ids;
     * skipping the delete for them saves ~6 % of the writer's CPU per record (RecordWriterProbe).
     */
    private static boolean mayReplace(InvocationRecord r) {
        return r.attempt() > 0 || r.node() != null;
    }

    /** Whether enough records were written since the last prune for {@link #pruneWritten}. */
    boolean trimDue() {
        return recordsWritten >= PRUNE_AFTER_RECORDS;
    }

    /** A function whose records were written since the last prune. */
    private record Written(String service, String function) {}

    /**
     * Deletes all but the newest {@code maxPerFunction} records of each function {@link #insert}
     * stored records of since the last call, and their log lines, through the per-function index:
     * what a busy writer runs between the full prunes of {@link #prune}, whose scans of every row
     * cost as much as the inserts (docs/adr/0062). Run inside the caller's transaction.
     */
    void pruneWritten(int maxPerFunction) throws SQLException {
        List<Written> functions = List.copyOf(written);
        written.clear();
        recordsWritten = 0;
        String matching =
                " FROM invocations WHERE service = ? AND function = ? AND started_at <= ?"
                        + " AND NOT (started_at = ? AND request_id > ?)";
        for (Written f : functions) {
            // The newest record past the limit: it and everything older go.
            Optional<Object[]> cut =
                    Sql.first(
                            db,
                            "SELECT started_at, request_id FROM invocations WHERE service = ? AND"
                                    + " function = ? ORDER BY started_at DESC, request_id DESC"
                                    + " LIMIT 1 OFFSET ?",
                            rs -> new Object[] {rs.getLong(1), rs.getString(2)},
                            f.service(),
                            f.function(),
                            maxPerFunction);
            if (cut.isEmpty()) {
                continue;
            }
            Object[] c = cut.get();
            Object[] params = {f.service(), f.function(), c[0], c[0], c[1]};
            Sql.update(
                    db,
                    "DELETE FROM invocation_logs WHERE request_id IN (SELECT request_id"
                            + matching
                            + ")",
                    params);
            Sql.update(db, "DELETE" + matching, params);
        }
    }

    /**
     * Deletes the records started before {@code cutoff} (epoch ms), all but the newest {@code
     * maxPerFunction} of each function, and the log lines of records gone.
     */
    void prune(long cutoff, int maxPerFunction) throws SQLException {
        written.clear(); // every function's turn comes here
        recordsWritten = 0;
        try (Statement st = db.createStatement()) {
            st.executeUpdate("DELETE FROM invocations WHERE started_at < " + cutoff);
            st.executeUpdate(
                    "DELETE FROM invocations WHERE request_id IN (SELECT request_id FROM"
                            + " (SELECT request_id, ROW_NUMBER() OVER (PARTITION BY service,"
                            + " function ORDER BY started_at DESC, request_id DESC) AS n FROM"
                            + " invocations) WHERE n > "
                            + maxPerFunction
                            + ")");
            st.executeUpdate(
                    "DELETE FROM invocation_logs WHERE request_id NOT IN"
                            + " (SELECT request_id FROM invocations)");
        }
    }

    /** The stream position of {@code source} read up to, 0 for none. */
    long position(String source) throws SQLException {
        return value(POSITION + source).map(Long::parseLong).orElse(0L);
    }

    /** Keeps {@code position} as what {@code source} was read up to. */
    void position(String source, long position) throws SQLException {
        put(POSITION + source, Long.toString(position));
    }

    /**
     * This file's name among the copies of records the cluster holds: made once with the file, so
     * that a node that starts on a fresh (or moved-aside) {@code records.db} reads even the records
     * it published itself before.
     */
    String origin() throws SQLException {
        Optional<String> id = value(ORIGIN);
        if (id.isPresent()) {
            return id.get();
        }
        String made = UUID.randomUUID().toString();
        put(ORIGIN, made);
        return made;
    }

    private Optional<String> value(String name) throws SQLException {
        return Sql.first(
                db, "SELECT value FROM replication WHERE name = ?", rs -> rs.getString(1), name);
    }

    private void put(String name, String value) throws SQLException {
        try (PreparedStatement st =
                db.prepareStatement("INSERT OR REPLACE INTO replication VALUES (?, ?)")) {
            Sql.bind(st, name, value);
            st.executeUpdate();
        }
    }

    @Override
    public void close() throws SQLException {
        if (usageUpsert != null) {
            usageUpsert.close();
        }
    }
}
