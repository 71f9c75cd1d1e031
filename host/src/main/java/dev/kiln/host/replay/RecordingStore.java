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
 * write drops the function's oldest beyond it. Submitting never touches disk and never blocks: one
 * writer thread ({@link GroupCommitWriter}) encodes and writes batches; while the queue holds more
 * than {@code maxQueuedBytes}, or the disk is below its floor, recordings are dropped and counted.
 */
public final class RecordingStore implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RecordingStore.class);
    public static final String FILE_NAME = "recordings.db";
    private static final Duration FLUSH_WAIT = Duration.ofSeconds(30);

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
                    });

    private final Connection db;
    private final int maxPerFunction;
    private final long maxQueuedBytes;
    private final SecretSeal seal;
    private final DiskSpace space;
    private final AtomicLong queuedBytes = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong written = new AtomicLong();
    private final GroupCommitWriter<Queued> writer;

    private sealed interface Queued {}

    private record Pending(Recording recording, long bytes) implements Queued {}

    private record FlushMarker(CountDownLatch done) implements Queued {}

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
        this.writer =
                new GroupCommitWriter<>(
                        "kiln-recording-writer", 4096, 256, Duration.ofSeconds(1), new Batches());
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

    /** Queues {@code recording}; false (and counted) when too much waits already. */
    public boolean submit(Recording recording) {
        long bytes = recording.bytes();
        if (queuedBytes.addAndGet(bytes) > maxQueuedBytes) {
            queuedBytes.addAndGet(-bytes);
            dropped.incrementAndGet();
            return false;
        }
        if (!writer.offer(new Pending(recording, bytes))) {
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

    /** Blocks until everything submitted before this call is written. */
    public void flush() {
        if (!writer.isRunning()) {
            return;
        }
        var marker = new FlushMarker(new CountDownLatch(1));
        try {
            if (writer.offer(marker, FLUSH_WAIT)) {
                marker.done().await(FLUSH_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The recording of one invocation of one function, secret values opened. */
    public Optional<Recording> get(String service, String function, String requestId) {
        byte[] body;
        synchronized (db) {
            try {
                body =
                        Sql.first(
                                        db,
                                        "SELECT body FROM recordings WHERE request_id = ? AND"
                                                + " service = ? AND function = ?",
                                        rs -> rs.getBytes(1),
                                        requestId,
                                        service,
                                        function)
                                .orElse(null);
            } catch (SQLException e) {
                throw failure(e);
            }
        }
        return body == null
                ? Optional.empty()
                : Optional.of(RecordingJson.read(body, seal).recording());
    }

    /** Request ids of a function's recordings, newest first. */
    public List<String> list(String service, String function) {
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

    /** Drops every recording of a deleted function. */
    public void deleteFunction(String service, String function) {
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
        synchronized (db) {
            try {
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
                settle(batch);
            }
        }

        @Override
        public void failed(List<Queued> batch, Throwable cause) {
            for (Queued q : batch) {
                if (q instanceof Pending) {
                    dropped.incrementAndGet();
                }
            }
            settle(batch);
        }

        @Override
        public void abandoned(List<Queued> left) {
            failed(left, null);
        }

        private void settle(List<Queued> batch) {
            for (Queued q : batch) {
                if (q instanceof Pending p) {
                    queuedBytes.addAndGet(-p.bytes());
                } else if (q instanceof FlushMarker m) {
                    m.done().countDown();
                }
            }
        }
    }

    private void writeBatch(List<Queued> batch) {
        List<Pending> pending =
                batch.stream().filter(Pending.class::isInstance).map(Pending.class::cast).toList();
        if (pending.isEmpty()) {
            return;
        }
        if (space.low()) {
            dropped.addAndGet(pending.size());
            return;
        }
        Set<List<String>> functions = new LinkedHashSet<>();
        synchronized (db) {
            try {
                Sql.inTransaction(
                        db,
                        () -> {
                            try (PreparedStatement put =
                                            db.prepareStatement(
                                                    "INSERT OR REPLACE INTO recordings (request_id,"
                                                            + " service, function, started_at,"
                                                            + " outcome, bytes, body) VALUES (?, ?,"
                                                            + " ?, ?, ?, ?, ?)");
                                    PreparedStatement prune =
                                            db.prepareStatement(
                                                    "DELETE FROM recordings WHERE service = ? AND"
                                                        + " function = ? AND request_id NOT IN"
                                                        + " (SELECT request_id FROM recordings"
                                                        + " WHERE service = ? AND function = ?"
                                                        + " ORDER BY started_at DESC, request_id"
                                                        + " DESC LIMIT ?)")) {
                                for (Pending p : pending) {
                                    Recording r = p.recording();
                                    byte[] body =
                                            RecordingJson.write(
                                                    r, RecordingJson.Secrets.SEALED, seal, null);
                                    Sql.bind(
                                            put,
                                            r.requestId(),
                                            r.service(),
                                            r.function(),
                                            r.startedAtMillis(),
                                            r.result().outcome(),
                                            body.length,
                                            body);
                                    put.addBatch();
                                    functions.add(List.of(r.service(), r.function()));
                                }
                                put.executeBatch();
                                for (List<String> f : functions) {
                                    Sql.bind(
                                            prune,
                                            f.get(0),
                                            f.get(1),
                                            f.get(0),
                                            f.get(1),
                                            maxPerFunction);
                                    prune.addBatch();
                                }
                                prune.executeBatch();
                            }
                        });
                written.addAndGet(pending.size());
            } catch (SQLException e) {
                dropped.addAndGet(pending.size());
                log.error("writing {} recordings failed", pending.size(), e);
            }
        }
    }

    private static KilnException failure(SQLException e) {
        log.error("recordings storage failure", e);
        return new KilnException(ErrorCode.INTERNAL, "recordings could not be read");
    }
}
