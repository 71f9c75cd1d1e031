package dev.kiln.host.observability;

import dev.kiln.abi.GuestLogLine;
import dev.kiln.abi.LogLevel;
import dev.kiln.host.core.BackgroundLoops;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.FaultPoint;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.storage.DiskSpace;
import dev.kiln.host.storage.SqliteFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Invocation records and guest logs in {@code records.db}. Submitting never touches disk: one
 * writer thread drains a bounded queue and writes batches in single transactions. {@link #submit}
 * never blocks and drops a record when the queue is full; {@link #submitWaiting} waits for room.
 */
public final class InvocationStore implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(InvocationStore.class);
    private static final long PRUNE_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);
    // As long as a flush waits: past it the writer is stuck, and waiting longer helps no one.
    static final Duration MAX_SUBMIT_WAIT = Duration.ofSeconds(30);

    /** Test seam: throws in the writer while it writes a batch (ADR 0030). */
    static final FaultPoint FAULTS = new FaultPoint();

    private final Connection db;
    private final RecordRetention retention;
    private final DiskSpace space;
    private boolean diskWasLow; // touched by the writer thread only
    private final BlockingQueue<Object> queue;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong failedBatches = new AtomicLong();
    private final Thread writer;
    private volatile boolean closing;

    /** A queue marker: the writer counts it down once everything before it is written. */
    private record FlushMarker(CountDownLatch done) {}

    private InvocationStore(Connection db, RecordRetention retention, DiskSpace space) {
        this.db = db;
        this.retention = retention;
        this.space = space;
        this.queue = new ArrayBlockingQueue<>(retention.queueCapacity());
        this.writer = new Thread(this::writeLoop, "kiln-record-writer");
        this.writer.setDaemon(true);
        this.writer.start();
    }

    public static InvocationStore open(Path dataDir, RecordRetention retention) {
        try {
            return open(dataDir, retention, DiskSpace.of(Files.createDirectories(dataDir), 0));
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot open records.db in " + dataDir, e);
        }
    }

    /**
     * Opens (creating if needed) {@code records.db} in {@code dataDir}. The file holds history
     * only, so one that SQLite finds corrupt is moved aside ({@code records.db.corrupt-<time>})
     * with a warning and an empty one takes its place, rather than keeping the host from starting.
     * While {@code space} is low, records are dropped (and counted) instead of written.
     */
    public static InvocationStore open(Path dataDir, RecordRetention retention, DiskSpace space) {
        Path file = dataDir.resolve("records.db");
        try {
            try {
                return new InvocationStore(openDb(file), retention, space);
            } catch (SQLException e) {
                if (!SqliteFiles.isCorrupt(e)) {
                    throw e;
                }
                Path aside = SqliteFiles.moveAside(file);
                log.warn(
                        "records.db is corrupt ({}); moved it aside to {} and started an empty"
                                + " one",
                        e.getMessage(),
                        aside);
                return new InvocationStore(openDb(file), retention, space);
            }
        } catch (SQLException | java.io.IOException e) {
            throw new IllegalStateException("cannot open records.db in " + dataDir, e);
        }
    }

    private static Connection openDb(Path file) throws SQLException, java.io.IOException {
        Connection db = SqliteFiles.open(file, SqliteFiles.Durability.NORMAL);
        try {
            try (Statement st = db.createStatement()) {
                st.execute(
                        "CREATE TABLE IF NOT EXISTS invocations ("
                                + " request_id TEXT PRIMARY KEY, service TEXT NOT NULL,"
                                + " function TEXT NOT NULL, version INTEGER NOT NULL,"
                                + " version_sha256 TEXT, trigger TEXT NOT NULL,"
                                + " started_at INTEGER NOT NULL, duration_us INTEGER NOT NULL,"
                                + " outcome TEXT NOT NULL, status INTEGER NOT NULL,"
                                + " bytes_in INTEGER NOT NULL, bytes_out INTEGER NOT NULL,"
                                + " fuel INTEGER NOT NULL, start_kind TEXT, error TEXT,"
                                + " log_truncated INTEGER NOT NULL,"
                                + " attempt INTEGER NOT NULL DEFAULT 0)");
                addColumnIfMissing(st, "attempt", "INTEGER NOT NULL DEFAULT 0");
                st.execute(
                        "CREATE INDEX IF NOT EXISTS invocations_fn ON invocations"
                                + " (service, function, started_at DESC, request_id DESC)");
                st.execute(
                        "CREATE TABLE IF NOT EXISTS invocation_logs ("
                                + " request_id TEXT NOT NULL, seq INTEGER NOT NULL,"
                                + " time INTEGER NOT NULL, level TEXT NOT NULL,"
                                + " message TEXT NOT NULL, PRIMARY KEY (request_id, seq))");
            }
            return db;
        } catch (SQLException | RuntimeException e) {
            db.close();
            throw e;
        }
    }

    /** Adds a column that records.db files written by an older Kiln lack. */
    private static void addColumnIfMissing(Statement st, String column, String type)
            throws SQLException {
        try (ResultSet rs = st.executeQuery("PRAGMA table_info(invocations)")) {
            while (rs.next()) {
                if (column.equals(rs.getString("name"))) {
                    return;
                }
            }
        }
        st.execute("ALTER TABLE invocations ADD COLUMN " + column + " " + type);
    }

    /** Queues {@code record}; returns false (and counts it) when the queue is full. */
    public boolean submit(InvocationRecord record) {
        if (closing || !queue.offer(record)) {
            dropped.incrementAndGet();
            return false;
        }
        return true;
    }

    /**
     * Queues {@code record}, waiting up to {@link #MAX_SUBMIT_WAIT} for room when the queue is full
     * rather than dropping it: for attempts of queued events, whose events leave their queue only
     * once their records are written. Returns false (and counts it) when closing, or when the queue
     * is still full after the wait.
     */
    public boolean submitWaiting(InvocationRecord record) {
        try {
            if (!closing
                    && queue.offer(record, MAX_SUBMIT_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                return true;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        dropped.incrementAndGet();
        return false;
    }

    /** Records dropped because the queue was full or the disk below its free-space floor. */
    public long dropped() {
        return dropped.get();
    }

    /** Batches that could not be written (their records are lost; the writer carries on). */
    public long failedBatches() {
        return failedBatches.get();
    }

    /** Blocks until everything submitted before this call is written. */
    public void flush() {
        if (!writer.isAlive()) {
            return;
        }
        var marker = new FlushMarker(new CountDownLatch(1));
        try {
            queue.put(marker);
            if (!marker.done().await(MAX_SUBMIT_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("record flush did not finish within 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Newest first; listings carry no log lines (read one record for those). A {@code
     * beforeRequestId} that is not stored yields an empty page.
     */
    public List<InvocationRecord> list(
            String service, String function, int limit, String beforeRequestId) {
        String sql =
                "SELECT * FROM invocations WHERE service = ? AND function = ?"
                        + (beforeRequestId == null
                                ? ""
                                : " AND (started_at, request_id) < (SELECT started_at, request_id"
                                        + " FROM invocations WHERE request_id = ?)")
                        + " ORDER BY started_at DESC, request_id DESC LIMIT ?";
        synchronized (db) {
            try (PreparedStatement st = db.prepareStatement(sql)) {
                int i = 1;
                st.setString(i++, service);
                st.setString(i++, function);
                if (beforeRequestId != null) {
                    st.setString(i++, beforeRequestId);
                }
                st.setInt(i, limit);
                List<InvocationRecord> out = new ArrayList<>();
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        out.add(read(rs, List.of()));
                    }
                }
                return out;
            } catch (SQLException e) {
                throw failure(e);
            }
        }
    }

    /** One record with its log lines in order. */
    public Optional<InvocationRecord> get(String service, String function, String requestId) {
        synchronized (db) {
            try (PreparedStatement st =
                    db.prepareStatement(
                            "SELECT * FROM invocations WHERE request_id = ? AND service = ?"
                                    + " AND function = ?")) {
                st.setString(1, requestId);
                st.setString(2, service);
                st.setString(3, function);
                try (ResultSet rs = st.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.empty();
                    }
                    return Optional.of(read(rs, logsOf(requestId)));
                }
            } catch (SQLException e) {
                throw failure(e);
            }
        }
    }

    /** The newest {@code limit} log lines of a function, oldest first. */
    public List<LogEntry> recentLogs(String service, String function, int limit) {
        synchronized (db) {
            try (PreparedStatement st =
                    db.prepareStatement(
                            "SELECT l.request_id, l.time, l.level, l.message FROM invocation_logs l"
                                    + " JOIN invocations i ON i.request_id = l.request_id"
                                    + " WHERE i.service = ? AND i.function = ?"
                                    + " ORDER BY i.started_at DESC, i.request_id DESC, l.seq DESC"
                                    + " LIMIT ?")) {
                st.setString(1, service);
                st.setString(2, function);
                st.setInt(3, limit);
                List<LogEntry> out = new ArrayList<>();
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        out.add(
                                new LogEntry(
                                        rs.getString(1),
                                        new GuestLogLine(
                                                rs.getLong(2),
                                                LogLevel.valueOf(rs.getString(3)),
                                                rs.getString(4))));
                    }
                }
                Collections.reverse(out);
                return out;
            } catch (SQLException e) {
                throw failure(e);
            }
        }
    }

    @Override
    public void close() {
        closing = true;
        flush();
        writer.interrupt();
        try {
            writer.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (db) {
            try {
                db.close();
            } catch (SQLException e) {
                log.warn("closing records.db failed: {}", e.toString());
            }
        }
    }

    private void writeLoop() {
        List<Object> batch = new ArrayList<>();
        long lastPrune = System.nanoTime() - PRUNE_INTERVAL_NANOS;
        while (true) {
            // Prune on a clock, not on traffic, so maxAge holds while the store is idle too.
            if (System.nanoTime() - lastPrune >= PRUNE_INTERVAL_NANOS) {
                try {
                    prune();
                } catch (RuntimeException | Error e) {
                    BackgroundLoops.survived(log, writer.getName(), e);
                }
                lastPrune = System.nanoTime();
            }
            try {
                Object first =
                        queue.poll(retention.flushInterval().toMillis(), TimeUnit.MILLISECONDS);
                if (first == null) {
                    if (closing && queue.isEmpty()) {
                        return;
                    }
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, retention.maxBatch() - 1);
            } catch (InterruptedException e) {
                if (queue.isEmpty()) {
                    return;
                }
                queue.drainTo(batch, retention.maxBatch());
            }
            try {
                FAULTS.pass();
                write(batch);
            } catch (RuntimeException | Error e) {
                // Nothing a batch throws may kill the only writer (ADR 0030): count, log, go on.
                failedBatches.incrementAndGet();
                if (e instanceof Error) {
                    BackgroundLoops.survived(log, writer.getName(), e);
                } else {
                    log.error("writing {} invocation records failed", batch.size(), e);
                }
            }
            for (Object o : batch) {
                if (o instanceof FlushMarker m) {
                    m.done().countDown();
                }
            }
            batch.clear();
        }
    }

    private void write(List<Object> batch) {
        if (space.low()) {
            // History gives way first: the room left is for queued events and uploads.
            long n = batch.stream().filter(o -> o instanceof InvocationRecord).count();
            dropped.addAndGet(n);
            if (!diskWasLow) {
                log.warn("the disk is below its free-space floor: invocation records are dropped");
            }
            diskWasLow = true;
            return;
        }
        if (diskWasLow) {
            log.info("the disk has room again: invocation records are written");
            diskWasLow = false;
        }
        synchronized (db) {
            try {
                db.setAutoCommit(false);
                try (PreparedStatement clear =
                                db.prepareStatement(
                                        "DELETE FROM invocation_logs WHERE request_id = ?");
                        PreparedStatement rec =
                                db.prepareStatement(
                                        "INSERT OR REPLACE INTO invocations (request_id, service,"
                                                + " function, version, version_sha256, trigger,"
                                                + " started_at, duration_us, outcome, status,"
                                                + " bytes_in, bytes_out, fuel, start_kind, error,"
                                                + " log_truncated, attempt) VALUES (?, ?, ?, ?, ?,"
                                                + " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
                        PreparedStatement line =
                                db.prepareStatement(
                                        "INSERT OR REPLACE INTO invocation_logs VALUES"
                                                + " (?, ?, ?, ?, ?)")) {
                    for (Object o : batch) {
                        if (o instanceof InvocationRecord r) {
                            clear.setString(1, r.requestId());
                            clear.addBatch();
                            bind(rec, r);
                            rec.addBatch();
                            int seq = 0;
                            for (GuestLogLine l : r.logs()) {
                                line.setString(1, r.requestId());
                                line.setInt(2, seq++);
                                line.setLong(3, l.epochMillis());
                                line.setString(4, l.level().name());
                                line.setString(5, l.message());
                                line.addBatch();
                            }
                        }
                    }
                    clear.executeBatch();
                    rec.executeBatch();
                    line.executeBatch();
                    db.commit();
                } catch (SQLException e) {
                    db.rollback();
                    throw e;
                } finally {
                    db.setAutoCommit(true);
                }
            } catch (SQLException e) {
                failedBatches.incrementAndGet();
                log.error("writing {} invocation records failed", batch.size(), e);
            }
        }
    }

    /** Keeps at most maxPerFunction records per function and none older than maxAge. */
    void prune() {
        long cutoff = Instant.now().minus(retention.maxAge()).toEpochMilli();
        synchronized (db) {
            try (Statement st = db.createStatement()) {
                st.executeUpdate("DELETE FROM invocations WHERE started_at < " + cutoff);
                st.executeUpdate(
                        "DELETE FROM invocations WHERE request_id IN (SELECT request_id FROM"
                                + " (SELECT request_id, ROW_NUMBER() OVER (PARTITION BY service,"
                                + " function ORDER BY started_at DESC, request_id DESC) AS n FROM"
                                + " invocations) WHERE n > "
                                + retention.maxPerFunction()
                                + ")");
                st.executeUpdate(
                        "DELETE FROM invocation_logs WHERE request_id NOT IN"
                                + " (SELECT request_id FROM invocations)");
            } catch (SQLException e) {
                log.error("pruning invocation records failed", e);
            }
        }
    }

    private static void bind(PreparedStatement st, InvocationRecord r) throws SQLException {
        st.setString(1, r.requestId());
        st.setString(2, r.service());
        st.setString(3, r.function());
        st.setInt(4, r.version());
        st.setString(5, r.versionSha256());
        st.setString(6, r.trigger());
        st.setLong(7, r.startedAt().toEpochMilli());
        st.setLong(8, r.durationMicros());
        st.setString(9, r.outcome());
        st.setInt(10, r.httpStatus());
        st.setLong(11, r.bytesIn());
        st.setLong(12, r.bytesOut());
        st.setLong(13, r.fuel());
        st.setString(14, r.startKind());
        st.setString(15, r.errorMessage());
        st.setInt(16, r.logTruncated() ? 1 : 0);
        st.setInt(17, r.attempt());
    }

    private List<GuestLogLine> logsOf(String requestId) throws SQLException {
        try (PreparedStatement st =
                db.prepareStatement(
                        "SELECT time, level, message FROM invocation_logs WHERE request_id = ?"
                                + " ORDER BY seq")) {
            st.setString(1, requestId);
            List<GuestLogLine> out = new ArrayList<>();
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    out.add(
                            new GuestLogLine(
                                    rs.getLong(1),
                                    LogLevel.valueOf(rs.getString(2)),
                                    rs.getString(3)));
                }
            }
            return out;
        }
    }

    private static InvocationRecord read(ResultSet rs, List<GuestLogLine> logs)
            throws SQLException {
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
                rs.getInt("attempt"));
    }

    private static KilnException failure(SQLException e) {
        log.error("records storage failure", e);
        return new KilnException(ErrorCode.INTERNAL, "invocation records could not be read");
    }
}
