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
    // The batch's statements, prepared on first use.
    private PreparedStatement clear;
    private PreparedStatement rec;
    private PreparedStatement line;
    private PreparedStatement usageUpsert;
    // Since the last prune of either kind: the functions written, and how many records.
    private final Set<Written> written = new HashSet<>();
    private long recordsWritten;
    // Functions that may have log lines stored: the trim deletes lines of these only, since
    // looking for the lines of 20 000 records of a function that never logs costs a fifth of
    // it. Read from the file on first use, then grown by insert; never shrinks.
    private Set<Written> logging;

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
        if (rec == null) {
            prepare();
        }
        // What a batch that failed while binding left behind must not join this one.
        clear.clearBatch();
        rec.clearBatch();
        line.clearBatch();
        recordsWritten += records.size();
        for (InvocationRecord r : records) {
            Written w = new Written(r.service(), r.function());
            written.add(w);
            if (!r.logs().isEmpty() && logging != null) {
                logging.add(w);
            }
            if (mayReplace(r)) {
                Sql.bind(clear, r.requestId());
                clear.addBatch();
            }
            RecordRows.bind(rec, r, r.node() != null ? r.node() : localNode);
            rec.addBatch();
            int seq = 0;
            for (GuestLogLine l : r.logs()) {
                Sql.bind(
                        line, r.requestId(), seq++, l.epochMillis(), l.level().name(), l.message());
                line.addBatch();
            }
        }
        clear.executeBatch();
        rec.executeBatch();
        line.executeBatch();
        // Usage in the same transaction: both are stored, or neither.
        UsageLedger.add(usageUpsert, usage);
    }

    // Prepared once: a batch's statements cost ~2 % of the writer when prepared per batch.
    private void prepare() throws SQLException {
        clear = db.prepareStatement("DELETE FROM invocation_logs WHERE request_id = ?");
        rec =
                db.prepareStatement(
                        "INSERT OR REPLACE INTO invocations ("
                                + RecordRows.COLUMNS
                                + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                                + " ?, ?, ?)");
        line = db.prepareStatement("INSERT OR REPLACE INTO invocation_logs VALUES (?, ?, ?, ?, ?)");
        usageUpsert = UsageLedger.prepareUpsert(db);
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
        if (logging == null) {
            logging = new HashSet<>(logging());
        }
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
            if (logging.contains(f)) {
                Sql.update(
                        db,
                        "DELETE FROM invocation_logs WHERE request_id IN (SELECT request_id"
                                + matching
                                + ")",
                        params);
            }
            Sql.update(db, "DELETE" + matching, params);
        }
    }

    /** The functions with log lines in the file. */
    private List<Written> logging() throws SQLException {
        return Sql.list(
                db,
                "SELECT DISTINCT i.service, i.function FROM invocation_logs l JOIN invocations i"
                        + " ON i.request_id = l.request_id",
                rs -> new Written(rs.getString(1), rs.getString(2)));
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
        for (PreparedStatement st : new PreparedStatement[] {clear, rec, line, usageUpsert}) {
            if (st != null) {
                st.close();
            }
        }
    }
}
