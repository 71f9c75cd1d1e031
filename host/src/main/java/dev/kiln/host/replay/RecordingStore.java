package dev.kiln.host.replay;

import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.storage.DiskSpace;
import dev.kiln.host.storage.GroupCommitWriter;
import dev.kiln.host.storage.Sql;
import dev.kiln.host.storage.SqliteFiles;
import dev.kiln.host.storage.SqliteSchema;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recorded invocations in {@code <data>/recordings.db} (docs/adr/0041): one row per invocation, its
 * recording as JSON with secret values sealed. At most {@code maxPerFunction} per function: each
 * write drops the function's oldest beyond it, and a function recorded faster than that per second
 * has its newest held back and written once a second ({@link RecordingHolds}). Submitting never
 * touches disk and never blocks: one writer thread ({@link GroupCommitWriter}) encodes and writes
 * batches; while the queue holds more than {@code maxQueuedBytes}, or the disk is below its floor,
 * recordings are dropped and counted.
 */
public final class RecordingStore implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RecordingStore.class);
    public static final String FILE_NAME = "recordings.db";
    private static final Duration FLUSH_WAIT = Duration.ofSeconds(30);
    // Recordings arrive one per invocation: the writer waits this long for more before a
    // transaction, so that one commit (and one wake-up) serves many (docs/adr/0041).
    private static final Duration LINGER = Duration.ofMillis(50);
    // Large batches: those of a function invoked faster than its bound are mostly superseded.
    private static final int MAX_BATCH = 1024;
    // Retention is enforced at most this often per function, and at every flush.
    private static final long PRUNE_EVERY_NANOS = Duration.ofSeconds(1).toNanos();
    // A function recorded faster than its bound writes its newest at most about this often.
    private static final long HOLD_NANOS = Duration.ofSeconds(1).toNanos();

    private static final List<SqliteSchema.Step> SCHEMA =
            List.of(
                    st -> {
                        st.execute(
                                "CREATE TABLE IF NOT EXISTS recordings ("
                                        + " request_id TEXT PRIMARY KEY, service TEXT NOT NULL,"
                                        + " function TEXT NOT NULL, started_at INTEGER NOT NULL,"
                                        + " outcome TEXT NOT NULL, bytes INTEGER NOT NULL,"
                                        + " body BLOB NOT NULL)");
                        st.execute(
                                "CREATE INDEX IF NOT EXISTS recordings_fn ON recordings"
                                        + " (service, function, started_at DESC, request_id DESC)");
                    },
                    // The payload and the result's body beside the JSON, as they are: no base64
                    // to write or read. A row from before has them in its JSON (and NULL here).
                    st -> {
                        SqliteSchema.addColumnIfMissing(st, "recordings", "payload", "BLOB");
                        SqliteSchema.addColumnIfMissing(st, "recordings", "result_body", "BLOB");
                    });

    private final Connection db;
    private final int maxPerFunction;
    private final long maxQueuedBytes;
    private final SecretSeal seal;
    private final DiskSpace space;
    private final AtomicLong queuedBytes = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong superseded = new AtomicLong();
    private final GroupCommitWriter<Queued> writer;
    private volatile RecordingReplication replication = RecordingReplication.NONE;
    private volatile boolean replicating;
    // The writer thread's own, used under the lock on db.
    private final Set<List<String>> unpruned = new LinkedHashSet<>();
    private final RecordingHolds holds;
    private long prunedAt = System.nanoTime();
    private PreparedStatement put;
    private PreparedStatement oldestKept;
    private PreparedStatement prune;

    /** What the writer is handed: a recording, or a flush to mark done once it is written. */
    sealed interface Queued permits RecordingHolds.Entry, FlushMarker {}

    record FlushMarker(CountDownLatch done) implements Queued {}

    private RecordingStore(
            Connection db,
            int maxPerFunction,
            long maxQueuedBytes,
            SecretSeal seal,
            DiskSpace space) {
        this.db = db;
        this.maxPerFunction = maxPerFunction;
        this.maxQueuedBytes = maxQueuedBytes;
        this.seal = seal;
        this.space = space;
        this.holds = new RecordingHolds(maxPerFunction, HOLD_NANOS, maxQueuedBytes / 2);
        this.writer =
                new GroupCommitWriter<>(
                        "kiln-recording-writer",
                        4096,
                        MAX_BATCH,
                        Duration.ofSeconds(1),
                        LINGER,
                        new Batches());
    }

    /**
     * Opens (creating if needed) {@code recordings.db} in {@code dataDir}. Like {@code records.db}
     * it holds history only: a corrupt one is moved aside and an empty one started.
     *
     * @param maxPerFunction recordings kept per function, newest first
     * @param maxQueuedBytes recordings' bytes that may wait for the writer
     * @param seal seals secret values at rest
     */
    public static RecordingStore open(
            Path dataDir,
            int maxPerFunction,
            long maxQueuedBytes,
            SecretSeal seal,
            DiskSpace space) {
        Path file = dataDir.resolve(FILE_NAME);
        try {
            try {
                return new RecordingStore(
                        openDb(file), maxPerFunction, maxQueuedBytes, seal, space);
            } catch (SQLException e) {
                if (!SqliteFiles.isCorrupt(e)) {
                    throw e;
                }
                Path aside = SqliteFiles.moveAside(file);
                log.warn(
                        "{} is corrupt ({}); moved it aside to {}",
                        FILE_NAME,
                        e.getMessage(),
                        aside);
                return new RecordingStore(
                        openDb(file), maxPerFunction, maxQueuedBytes, seal, space);
            }
        } catch (SQLException | java.io.IOException e) {
            throw new IllegalStateException("cannot open " + FILE_NAME + " in " + dataDir, e);
        }
    }

    private static Connection openDb(Path file) throws SQLException, java.io.IOException {
        Connection db = SqliteFiles.open(file, SqliteFiles.Durability.NORMAL);
        try {
            SqliteSchema.migrate(db, FILE_NAME, SCHEMA);
            return db;
        } catch (SQLException | RuntimeException e) {
            db.close();
            throw e;
        }
    }

    /**
     * Hands every batch written from now on to {@code replication}, and looks there for the
     * recordings this node does not hold (docs/adr/0059).
     */
    public void replicateTo(RecordingReplication replication) {
        this.replication = replication;
        this.replicating = true;
    }

    /** Queues {@code recording}; false (and counted) when too much waits already. */
    public boolean submit(Recording recording) {
        long bytes = recording.bytes();
        if (queuedBytes.addAndGet(bytes) > maxQueuedBytes) {
            queuedBytes.addAndGet(-bytes);
            dropped.incrementAndGet();
            return false;
        }
        if (!writer.offer(new RecordingHolds.Entry(recording, bytes))) {
            queuedBytes.addAndGet(-bytes);
            dropped.incrementAndGet();
            return false;
        }
        return true;
    }

    /** Recordings dropped: queue full, disk low, or a batch that could not be written. */
    public long dropped() {
        return dropped.get();
    }

    /** Recordings written since start. */
    public long written() {
        return written.get();
    }

    /**
     * Recordings not written because newer ones of the same function arrived in the same batch,
     * beyond the bound: retention would have deleted them at once.
     */
    public long superseded() {
        return superseded.get();
    }

    /** Blocks until everything submitted before this call is written. */
    public void flush() {
        if (!writer.isRunning()) {
            return;
        }
        var marker = new FlushMarker(new CountDownLatch(1));
        try {
            if (writer.offerHurried(marker, FLUSH_WAIT)) {
                marker.done().await(FLUSH_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The recording of one invocation of one function, secret values opened. One not found while
     * recordings wait for the writer is looked for again once they are written: a replay right
     * after the invocation finds it.
     */
    public Optional<Recording> get(String service, String function, String requestId) {
        Optional<Recording> found = read(service, function, requestId);
        if (found.isEmpty() && queuedBytes.get() > 0) {
            flush();
            found = read(service, function, requestId);
        }
        if (found.isEmpty()) {
            // Another node's (docs/adr/0059).
            Optional<byte[]> shared = replication.read(service, function, requestId);
            if (shared.isPresent()) {
                try {
                    found = Optional.of(SharedRecording.read(shared.get(), seal));
                } catch (IllegalArgumentException | KilnException e) {
                    log.warn(
                            "the cluster's recording of {} is unreadable: {}",
                            requestId,
                            e.toString());
                }
            }
        }
        return found;
    }

    private Optional<Recording> read(String service, String function, String requestId) {
        byte[][] row;
        synchronized (db) {
            try {
                row =
                        Sql.first(
                                        db,
                                        "SELECT body, payload, result_body FROM recordings WHERE"
                                                + " request_id = ? AND service = ? AND function ="
                                                + " ?",
                                        rs ->
                                                new byte[][] {
                                                    rs.getBytes(1), rs.getBytes(2), rs.getBytes(3)
                                                },
                                        requestId,
                                        service,
                                        function)
                                .orElse(null);
            } catch (SQLException e) {
                throw failure(e);
            }
        }
        return row == null
                ? Optional.empty()
                : Optional.of(RecordingJson.readStored(row[0], row[1], row[2], seal));
    }

    /**
     * Request ids of a function's recordings, newest first: this node's, then those only other
     * nodes wrote (docs/adr/0059).
     */
    public List<String> list(String service, String function) {
        if (queuedBytes.get() > 0) {
            flush(); // a busy function's newest may be held back (RecordingHolds)
        }
        List<String> local = listLocal(service, function);
        List<String> shared = replication.requestIds(service, function);
        if (shared.isEmpty()) {
            return local;
        }
        Set<String> all = new LinkedHashSet<>(local);
        all.addAll(shared);
        return List.copyOf(all);
    }

    private List<String> listLocal(String service, String function) {
        synchronized (db) {
            try {
                return Sql.list(
                        db,
                        "SELECT request_id FROM recordings WHERE service = ? AND function = ?"
                                + " ORDER BY started_at DESC, request_id DESC",
                        rs -> rs.getString(1),
                        service,
                        function);
            } catch (SQLException e) {
                throw failure(e);
            }
        }
    }

    /** Drops every recording of a deleted function, the cluster's too. */
    public void deleteFunction(String service, String function) {
        flush(); // nothing queued or held of it is written after the delete
        replication.deleteFunction(service, function);
        synchronized (db) {
            try {
                Sql.update(
                        db,
                        "DELETE FROM recordings WHERE service = ? AND function = ?",
                        service,
                        function);
            } catch (SQLException e) {
                throw failure(e);
            }
        }
    }

    @Override
    public void close() {
        writer.close(FLUSH_WAIT);
        if (!writer.isRunning()) { // the holds are this thread's now
            writeBatch(List.of(new FlushMarker(new CountDownLatch(1))));
        }
        synchronized (db) {
            try {
                if (put != null) {
                    put.close();
                    oldestKept.close();
                    prune.close();
                }
                db.close();
            } catch (SQLException e) {
                log.warn("closing {} failed: {}", FILE_NAME, e.toString());
            }
        }
    }

    private final class Batches implements GroupCommitWriter.Sink<Queued> {
        @Override
        public void write(List<Queued> batch) {
            try {
                writeBatch(batch);
            } finally {
                markFlushes(batch);
            }
        }

        @Override
        public void failed(List<Queued> batch, Throwable cause) {
            for (Queued q : batch) {
                if (q instanceof RecordingHolds.Entry e && !holds.holds(e)) {
                    dropped.incrementAndGet();
                    queuedBytes.addAndGet(-e.bytes());
                }
            }
            markFlushes(batch);
        }

        @Override
        public void abandoned(List<Queued> left) {
            failed(left, null);
        }

        @Override
        public void idle() {
            // Held recordings whose window ended, and retention for functions that stopped being
            // invoked since their last batch.
            if (holds.holding()
                    || (!unpruned.isEmpty() && System.nanoTime() - prunedAt >= PRUNE_EVERY_NANOS)) {
                writeBatch(List.of());
            }
        }

        private void markFlushes(List<Queued> batch) {
            for (Queued q : batch) {
                if (q instanceof FlushMarker m) {
                    m.done().countDown();
                }
            }
        }
    }

    /**
     * Writes what {@link RecordingHolds} says is due of the batch and of what it held, in one
     * transaction, and, once a second or when the batch holds a flush, deletes the oldest beyond
     * {@code maxPerFunction} of every function written since. Settles the byte count of every
     * recording written, superseded or dropped.
     */
    private void writeBatch(List<Queued> batch) {
        List<RecordingHolds.Entry> arrived = new ArrayList<>(batch.size());
        boolean flushing = false;
        for (Queued q : batch) {
            if (q instanceof RecordingHolds.Entry e) {
                arrived.add(e);
            } else {
                flushing = true;
            }
        }
        if (!arrived.isEmpty() && space.low()) {
            dropped.addAndGet(arrived.size());
            release(arrived);
            arrived.clear();
        }
        RecordingHolds.Pass pass = holds.take(arrived, flushing, System.nanoTime());
        superseded.addAndGet(pass.superseded().size());
        release(pass.superseded());
        try {
            write(pass.write(), flushing);
        } finally {
            release(pass.write());
        }
    }

    private void release(List<RecordingHolds.Entry> entries) {
        queuedBytes.addAndGet(-RecordingHolds.bytes(entries));
    }

    private void write(List<RecordingHolds.Entry> pending, boolean flushing) {
        boolean pruneNow =
                (!unpruned.isEmpty() || !pending.isEmpty())
                        && (flushing || System.nanoTime() - prunedAt >= PRUNE_EVERY_NANOS);
        if (pending.isEmpty() && !pruneNow) {
            return;
        }
        RecordingReplication sharing = replication;
        List<RecordingReplication.Shared> shared = new ArrayList<>();
        synchronized (db) {
            try {
                prepare();
                Sql.inTransaction(
                        db,
                        () -> {
                            for (RecordingHolds.Entry p : pending) {
                                Recording r = p.recording();
                                byte[] json =
                                        RecordingJson.writeStored(
                                                r, RecordingJson.Secrets.SEALED, seal);
                                Sql.bind(
                                        put,
                                        r.requestId(),
                                        r.service(),
                                        r.function(),
                                        r.startedAtMillis(),
                                        r.result().outcome(),
                                        json.length + r.payload().length + r.result().body().length,
                                        json,
                                        r.payload(),
                                        r.result().body());
                                put.addBatch();
                                if (replicating) {
                                    shared.add(
                                            new RecordingReplication.Shared(
                                                    r.service(),
                                                    r.function(),
                                                    r.requestId(),
                                                    SharedRecording.write(
                                                            json, r.payload(), r.result().body())));
                                }
                                unpruned.add(List.of(r.service(), r.function()));
                            }
                            if (!pending.isEmpty()) {
                                put.executeBatch();
                            }
                            if (pruneNow) {
                                for (List<String> f : unpruned) {
                                    pruneFunction(f.get(0), f.get(1));
                                }
                            }
                        });
                written.addAndGet(pending.size());
                if (!shared.isEmpty()) {
                    try {
                        sharing.committed(shared);
                    } catch (RuntimeException e) {
                        log.warn("handing recordings to the cluster failed: {}", e.toString());
                    }
                }
                if (pruneNow) {
                    unpruned.clear();
                    prunedAt = System.nanoTime();
                }
            } catch (SQLException e) {
                dropped.addAndGet(pending.size());
                log.error("writing {} recordings failed", pending.size(), e);
            }
        }
    }

    /**
     * Deletes a function's recordings older than its newest {@code maxPerFunction}: two index range
     * steps (find the oldest kept, delete below it), whatever the number of rows.
     */
    private void pruneFunction(String service, String function) throws SQLException {
        Sql.bind(oldestKept, service, function, maxPerFunction - 1);
        long startedAt;
        String requestId;
        try (var rs = oldestKept.executeQuery()) {
            if (!rs.next()) {
                return; // no more than the bound
            }
            startedAt = rs.getLong(1);
            requestId = rs.getString(2);
        }
        Sql.bind(prune, service, function, startedAt, requestId);
        prune.executeUpdate();
    }

    /** The writer's statements, prepared once: most of a small batch's cost was preparing them. */
    private void prepare() throws SQLException {
        if (put != null) {
            return;
        }
        put =
                db.prepareStatement(
                        "INSERT OR REPLACE INTO recordings (request_id, service, function,"
                                + " started_at, outcome, bytes, body, payload, result_body)"
                                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
        oldestKept =
                db.prepareStatement(
                        "SELECT started_at, request_id FROM recordings WHERE service = ? AND"
                                + " function = ? ORDER BY started_at DESC, request_id DESC"
                                + " LIMIT 1 OFFSET ?");
        prune =
                db.prepareStatement(
                        "DELETE FROM recordings WHERE service = ? AND function = ? AND"
                                + " (started_at, request_id) < (?, ?)");
    }

    private static KilnException failure(SQLException e) {
        log.error("recordings storage failure", e);
        return new KilnException(ErrorCode.INTERNAL, "recordings could not be read");
    }
}
