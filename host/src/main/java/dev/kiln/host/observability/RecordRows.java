package dev.kiln.host.observability;

import dev.kiln.abi.GuestLogLine;
import dev.kiln.abi.LogLevel;
import dev.kiln.host.storage.Sql;
import dev.kiln.host.storage.SqliteFiles;
import dev.kiln.host.storage.SqliteSchema;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code records.db}'s schema and rows: how an invocation record and its log lines are written to
 * and read from SQLite, for {@link InvocationStore}. Callers hold the store's connection lock.
 */
final class RecordRows {
    private static final Logger log = LoggerFactory.getLogger(RecordRows.class);

    private RecordRows() {}

    /**
     * WAL pages between two checkpoints of {@code records.db} (SQLite's default is 1000). A
     * checkpoint runs inside the commit that crosses the mark and copies every page since the last
     * one back into the file in one call: at 17 000 records/s the default made that a 2 ms stretch
     * of the writer's CPU about once a second, which it cannot yield in, and the requests queued
     * behind it were a large part of the host's p99 (docs/adr/0073). A tenth of it is a tenth as
     * long, ten times as often; the fsyncs at each checkpoint are waits, not CPU.
     */
    static final int CHECKPOINT_PAGES = 100;

    /** Opens {@code records.db} (creating or migrating it) as the store writes it. */
    static Connection open(Path file) throws SQLException, IOException {
        Connection db = SqliteFiles.open(file, SqliteFiles.Durability.NORMAL);
        try {
            try (Statement st = db.createStatement()) {
                st.execute("PRAGMA wal_autocheckpoint=" + CHECKPOINT_PAGES);
            }
            SqliteSchema.migrate(db, "records.db", SCHEMA);
            return db;
        } catch (SQLException | RuntimeException e) {
            db.close();
            throw e;
        }
    }

    /** records.db's migrations, in order ({@link SqliteSchema}). */
    static final List<SqliteSchema.Step> SCHEMA =
            List.of(
                    st -> {
                        st.execute(
                                "CREATE TABLE IF NOT EXISTS invocations ("
                                        + " request_id TEXT PRIMARY KEY, service TEXT NOT NULL,"
                                        + " function TEXT NOT NULL, version INTEGER NOT NULL,"
                                        + " version_sha256 TEXT, trigger TEXT NOT NULL,"
                                        + " started_at INTEGER NOT NULL,"
                                        + " duration_us INTEGER NOT NULL,"
                                        + " outcome TEXT NOT NULL, status INTEGER NOT NULL,"
                                        + " bytes_in INTEGER NOT NULL, bytes_out INTEGER NOT NULL,"
                                        + " fuel INTEGER NOT NULL, start_kind TEXT, error TEXT,"
                                        + " log_truncated INTEGER NOT NULL,"
                                        + " attempt INTEGER NOT NULL DEFAULT 0)");
                        // records.db files from before the schema was versioned may lack it.
                        SqliteSchema.addColumnIfMissing(
                                st, "invocations", "attempt", "INTEGER NOT NULL DEFAULT 0");
                        st.execute(
                                "CREATE INDEX IF NOT EXISTS invocations_fn ON invocations"
                                        + " (service, function, started_at DESC, request_id DESC)");
                        st.execute(
                                "CREATE TABLE IF NOT EXISTS invocation_logs ("
                                        + " request_id TEXT NOT NULL, seq INTEGER NOT NULL,"
                                        + " time INTEGER NOT NULL, level TEXT NOT NULL,"
                                        + " message TEXT NOT NULL, PRIMARY KEY (request_id, seq))");
                    },
                    // Usage metering and statistics (docs/adr/0043): what each record was metered
                    // with, hourly usage written with the records, per-minute histograms.
                    st -> {
                        SqliteSchema.addColumnIfMissing(
                                st, "invocations", "memory_mib", "INTEGER NOT NULL DEFAULT 0");
                        SqliteSchema.addColumnIfMissing(st, "invocations", "key_id", "TEXT");
                        st.execute(
                                "CREATE INDEX IF NOT EXISTS invocation_logs_time ON"
                                        + " invocation_logs (time)");
                        UsageLedger.createTables(st);
                        FunctionStats.createTables(st);
                    },
                    // The W3C trace an invocation belongs to (docs/adr/0047); NULL for none.
                    st -> SqliteSchema.addColumnIfMissing(st, "invocations", "trace_id", "TEXT"),
                    // Cluster mode (docs/adr/0057): this file's origin id and how far the
                    // cluster's records stream was read, kept with the records read from it.
                    // the node that ran each record (NULL: this node before it joined one).
                    st -> {
                        st.execute(
                                "CREATE TABLE IF NOT EXISTS replication ("
                                        + " name TEXT PRIMARY KEY, value TEXT NOT NULL)");
                        SqliteSchema.addColumnIfMissing(st, "invocations", "node", "TEXT");
                    },
                    // The records clustered by request id (ULIDs, so by time) without a rowid:
                    // one b-tree fewer for the writer to insert into and prune from (ADR 0063).
                    RecordRows::clusterByRequestId,
                    // A function's records of a batch stored together, one row for hundreds of
                    // records; log lines name their function (docs/adr/0069).
                    RecordRows::chunkRecords);

    /** Records a chunk holds at most when old rows are moved into chunks. */
    private static final int MOVED_PER_CHUNK = 512;

    /** The columns of the table {@code invocations} had before its records went into chunks. */
    static final String COLUMNS =
            "request_id, service, function, version, version_sha256, trigger, started_at,"
                    + " duration_us, outcome, status, bytes_in, bytes_out, fuel, start_kind, error,"
                    + " log_truncated, attempt, memory_mib, key_id, trace_id, node";

    private static void clusterByRequestId(Statement st) throws SQLException {
        long rows;
        try (ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM invocations")) {
            rows = rs.next() ? rs.getLong(1) : 0;
        }
        long began = System.nanoTime();
        if (rows > 0) {
            // Seconds for a million rows, once: say why the start waits.
            log.info("records.db: moving {} invocation records to their new table (once)", rows);
        }
        st.execute(
                "CREATE TABLE invocations_by_id ("
                        + " request_id TEXT PRIMARY KEY, service TEXT NOT NULL,"
                        + " function TEXT NOT NULL, version INTEGER NOT NULL,"
                        + " version_sha256 TEXT, trigger TEXT NOT NULL,"
                        + " started_at INTEGER NOT NULL, duration_us INTEGER NOT NULL,"
                        + " outcome TEXT NOT NULL, status INTEGER NOT NULL,"
                        + " bytes_in INTEGER NOT NULL, bytes_out INTEGER NOT NULL,"
                        + " fuel INTEGER NOT NULL, start_kind TEXT, error TEXT,"
                        + " log_truncated INTEGER NOT NULL, attempt INTEGER NOT NULL DEFAULT 0,"
                        + " memory_mib INTEGER NOT NULL DEFAULT 0, key_id TEXT, trace_id TEXT,"
                        + " node TEXT) WITHOUT ROWID");
        // A rowid table's TEXT PRIMARY KEY admits NULL; no record was written with one.
        st.execute(
                "INSERT INTO invocations_by_id ("
                        + COLUMNS
                        + ") SELECT "
                        + COLUMNS
                        + " FROM invocations WHERE request_id IS NOT NULL");
        st.execute("DROP TABLE invocations");
        st.execute("ALTER TABLE invocations_by_id RENAME TO invocations");
        st.execute(
                "CREATE INDEX invocations_fn ON invocations"
                        + " (service, function, started_at DESC, request_id DESC)");
        if (rows > 0) {
            log.info(
                    "records.db: {} invocation records moved in {} ms",
                    rows,
                    (System.nanoTime() - began) / 1_000_000);
        }
    }

    private static void chunkRecords(Statement st) throws SQLException {
        long rows;
        try (ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM invocations")) {
            rows = rs.next() ? rs.getLong(1) : 0;
        }
        long began = System.nanoTime();
        if (rows > 0) {
            log.info("records.db: storing {} invocation records in chunks (once)", rows);
        }
        ChunkTable.createTable(st);
        st.execute("ALTER TABLE invocation_logs ADD COLUMN service TEXT");
        st.execute("ALTER TABLE invocation_logs ADD COLUMN function TEXT");
        st.execute(
                "UPDATE invocation_logs SET (service, function) = (SELECT service, function"
                        + " FROM invocations i WHERE i.request_id = invocation_logs.request_id)");
        // Lines whose record is gone: nothing lists them.
        st.execute("DELETE FROM invocation_logs WHERE service IS NULL");
        st.execute("DROP INDEX IF EXISTS invocation_logs_time");
        st.execute("CREATE INDEX invocation_logs_fn ON invocation_logs (service, function, time)");
        Connection db = st.getConnection();
        try (ChunkTable chunks = new ChunkTable(db);
                PreparedStatement old =
                        db.prepareStatement(
                                "SELECT i.*, (SELECT COUNT(*) FROM invocation_logs l WHERE"
                                        + " l.request_id = i.request_id) AS log_count"
                                        + " FROM invocations i ORDER BY service, function,"
                                        + " started_at DESC, request_id DESC");
                ResultSet rs = old.executeQuery()) {
            List<InvocationStore.Listed> chunk = new ArrayList<>();
            while (rs.next()) {
                var listed =
                        new InvocationStore.Listed(read(rs, List.of()), rs.getInt("log_count"));
                if (!chunk.isEmpty()
                        && (chunk.size() == MOVED_PER_CHUNK
                                || !sameFunction(chunk.getFirst(), listed))) {
                    store(chunks, chunk);
                }
                chunk.add(listed);
            }
            store(chunks, chunk);
        }
        st.execute("DROP TABLE invocations");
        ChunkTable.createView(st);
        if (rows > 0) {
            log.info(
                    "records.db: {} invocation records stored in chunks in {} ms",
                    rows,
                    (System.nanoTime() - began) / 1_000_000);
        }
    }

    private static boolean sameFunction(InvocationStore.Listed a, InvocationStore.Listed b) {
        return a.record().service().equals(b.record().service())
                && a.record().function().equals(b.record().function());
    }

    private static void store(ChunkTable chunks, List<InvocationStore.Listed> chunk)
            throws SQLException {
        if (!chunk.isEmpty()) {
            InvocationRecord first = chunk.getFirst().record();
            chunks.insert(first.service(), first.function(), chunk, null);
            chunk.clear();
        }
    }

    static InvocationRecord read(ResultSet rs, List<GuestLogLine> logs) throws SQLException {
        return new InvocationRecord(
                rs.getString("request_id"),
                rs.getString("service"),
                rs.getString("function"),
                rs.getInt("version"),
                rs.getString("version_sha256"),
                rs.getString("trigger"),
                Instant.ofEpochMilli(rs.getLong("started_at")),
                rs.getLong("duration_us"),
                rs.getString("outcome"),
                rs.getInt("status"),
                rs.getLong("bytes_in"),
                rs.getLong("bytes_out"),
                rs.getLong("fuel"),
                rs.getString("start_kind"),
                rs.getString("error"),
                logs,
                rs.getInt("log_truncated") == 1,
                rs.getInt("attempt"),
                rs.getInt("memory_mib"),
                rs.getString("key_id"),
                rs.getString("trace_id"),
                null,
                rs.getString("node"));
    }

    static List<GuestLogLine> logsOf(Connection db, String requestId) throws SQLException {
        return Sql.list(
                db,
                "SELECT time, level, message FROM invocation_logs WHERE request_id = ? ORDER BY"
                        + " seq",
                rs ->
                        new GuestLogLine(
                                rs.getLong(1), LogLevel.valueOf(rs.getString(2)), rs.getString(3)),
                requestId);
    }

    /** A row of (request_id, time, level, message). */
    static LogEntry logEntry(ResultSet rs) throws SQLException {
        return new LogEntry(
                rs.getString(1),
                new GuestLogLine(
                        rs.getLong(2), LogLevel.valueOf(rs.getString(3)), rs.getString(4)));
    }

    static List<LogEntry> logsSince(
            Connection db, String service, String function, LogFilter filter, int limit)
            throws SQLException {
        StringBuilder sql =
                new StringBuilder(
                        "SELECT l.request_id, l.time, l.level, l.message FROM invocation_logs l"
                                + " JOIN invocations i ON i.request_id = l.request_id"
                                + " WHERE i.service = ? AND i.function = ? AND l.time >= ?");
        List<Object> params =
                new ArrayList<>(List.of(service, function, filter.since().toEpochMilli()));
        if (filter.requestId() != null) {
            sql.append(" AND l.request_id = ?");
            params.add(filter.requestId());
        }
        if (filter.minLevel() != null) {
            StringBuilder in = new StringBuilder();
            for (LogLevel level : LogLevel.values()) {
                if (level.compareTo(filter.minLevel()) >= 0) {
                    in.append(in.isEmpty() ? "?" : ", ?");
                    params.add(level.name());
                }
            }
            sql.append(" AND l.level IN (").append(in).append(')');
        }
        sql.append(" ORDER BY l.time DESC, l.request_id DESC, l.seq DESC LIMIT ?");
        params.add(limit);
        List<LogEntry> out = Sql.list(db, sql.toString(), RecordRows::logEntry, params.toArray());
        Collections.reverse(out);
        return out;
    }

    /** {@link InvocationStore#recentLogs}'s query: the newest {@code limit} lines, oldest first. */
    static List<LogEntry> recentLogs(Connection db, String service, String function, int limit)
            throws SQLException {
        List<LogEntry> out =
                Sql.list(
                        db,
                        "SELECT l.request_id, l.time, l.level, l.message"
                                + " FROM invocation_logs l"
                                + " WHERE l.service = ? AND l.function = ?"
                                + " ORDER BY l.time DESC, l.request_id DESC, l.seq DESC LIMIT ?",
                        RecordRows::logEntry,
                        service,
                        function,
                        limit);
        Collections.reverse(out);
        return out;
    }
}
