package dev.kiln.host.access;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.host.storage.SqliteFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit log of management writes, in {@code <data>/audit.db}: appended off the request path by
 * a writer thread in batches, kept within {@link AccessLimits#auditMaxEntries()} and {@link
 * AccessLimits#auditMaxAge()}. A read waits for everything appended before it.
 *
 * <p>In a cluster (docs/adr/0058) the writer also publishes each batch to the cluster's log (a
 * {@link Shared}), and a read lists the cluster's entries from it: every node shows every node's
 * writes. The node's own file stays as it was, and answers reads while the cluster's log cannot.
 */
public final class AuditLog implements AutoCloseable {
    public static final String FILE_NAME = "audit.db";
    static final int QUEUE = 10_000;
    private static final int BATCH = 500;
    private static final Logger log = LoggerFactory.getLogger(AuditLog.class);

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The cluster's audit log: entries as JSON documents ({@link #encode}), published in batches
     * and read back newest first. Byte arrays, so that the cluster package, which may not know this
     * one, can hold them.
     */
    public record Shared(Publisher publisher, Reader reader) {
        /** Stores a batch of entries durably, oldest first. */
        @FunctionalInterface
        public interface Publisher {
            void publish(List<byte[]> entries) throws Exception;
        }

        /** The newest {@code limit} entries, newest first. */
        @FunctionalInterface
        public interface Reader {
            List<byte[]> newest(int limit) throws Exception;
        }
    }

    private final Connection db;
    private final AccessLimits limits;
    private final Shared shared;
    private final AtomicLong unshared = new AtomicLong();
    private final BlockingQueue<AuditEntry> queue = new ArrayBlockingQueue<>(QUEUE);
    private final AtomicLong appended = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final Object progress = new Object();
    private long handled; // guarded by progress
    private final Thread writer;
    private volatile boolean closing;

    private AuditLog(Connection db, AccessLimits limits, Shared shared) {
        this.db = db;
        this.limits = limits;
        this.shared = shared;
        this.writer = new Thread(this::writeLoop, "kiln-audit-writer");
        writer.setDaemon(true);
    }

    public static AuditLog open(Path dataDir, AccessLimits limits) {
        return open(dataDir, limits, null);
    }

    /** Opens the node's file, also publishing to and listing from {@code shared} when not null. */
    public static AuditLog open(Path dataDir, AccessLimits limits, Shared shared) {
        try {
            Connection db =
                    SqliteFiles.open(dataDir.resolve(FILE_NAME), SqliteFiles.Durability.NORMAL);
            try (Statement st = db.createStatement()) {
                st.execute(
                        "CREATE TABLE IF NOT EXISTS audit (id INTEGER PRIMARY KEY AUTOINCREMENT,"
                                + " time_ms INTEGER NOT NULL, key_id TEXT, key_name TEXT,"
                                + " method TEXT NOT NULL, route TEXT, target TEXT NOT NULL,"
                                + " status INTEGER NOT NULL, code TEXT, client_ip TEXT,"
                                + " request_id TEXT)");
                st.execute("CREATE INDEX IF NOT EXISTS audit_time ON audit (time_ms)");
            }
            var audit = new AuditLog(db, limits, shared);
            audit.writer.start();
            return audit;
        } catch (SQLException | IOException e) {
            throw new IllegalStateException("cannot open the audit log in " + dataDir, e);
        }
    }

    /**
     * Queues an entry; never blocks. When the writer is {@value #QUEUE} entries behind, the entry
     * is dropped and counted ({@link #dropped()}), and a warning logged.
     */
    public void append(AuditEntry entry) {
        if (closing) {
            return;
        }
        if (queue.offer(entry)) {
            appended.incrementAndGet();
        } else {
            long n = dropped.incrementAndGet();
            log.warn("audit log writer is behind; {} entries dropped so far", n);
        }
    }

    public long dropped() {
        return dropped.get();
    }

    /**
     * Entries at or after {@code since} (all when null), newest first, at most {@code limit}; waits
     * (up to 5 s) for entries appended before the call.
     */
    public List<AuditEntry> list(Instant since, int limit) throws InterruptedException {
        awaitWritten(appended.get(), 5_000);
        if (shared != null) {
            try {
                List<AuditEntry> out = new ArrayList<>();
                for (byte[] e : shared.reader().newest(limit)) {
                    AuditEntry entry = decode(e);
                    if (since == null || !entry.time().isBefore(since)) {
                        out.add(entry);
                    }
                }
                return out;
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                log.warn(
                        "the cluster's audit log is not readable, listing this node's: {}",
                        e.toString());
            }
        }
        return listLocal(since, limit);
    }

    /** Entries published to the cluster's log failed to be stored there (they are in this file). */
    public long unshared() {
        return unshared.get();
    }

    private List<AuditEntry> listLocal(Instant since, int limit) {
        List<AuditEntry> out = new ArrayList<>();
        synchronized (db) {
            try (PreparedStatement st =
                    db.prepareStatement(
                            "SELECT time_ms, key_id, key_name, method, route, target, status,"
                                    + " code, client_ip, request_id FROM audit WHERE time_ms >= ?"
                                    + " ORDER BY id DESC LIMIT ?")) {
                st.setLong(1, since == null ? Long.MIN_VALUE : since.toEpochMilli());
                st.setInt(2, limit);
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        out.add(
                                new AuditEntry(
                                        Instant.ofEpochMilli(rs.getLong(1)),
                                        rs.getString(2),
                                        rs.getString(3),
                                        rs.getString(4),
                                        rs.getString(5),
                                        rs.getString(6),
                                        rs.getInt(7),
                                        rs.getString(8),
                                        rs.getString(9),
                                        rs.getString(10)));
                    }
                }
            } catch (SQLException e) {
                throw new IllegalStateException("reading the audit log failed", e);
            }
        }
        return out;
    }

    private void awaitWritten(long count, long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        synchronized (progress) {
            while (handled < count) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                TimeUnit.NANOSECONDS.timedWait(progress, left);
            }
        }
    }

    private void writeLoop() {
        List<AuditEntry> batch = new ArrayList<>(BATCH);
        while (!closing || !queue.isEmpty()) {
            try {
                AuditEntry first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, BATCH - 1);
                write(batch);
                share(batch);
            } catch (InterruptedException e) {
                if (!closing) {
                    log.warn("audit writer interrupted; stopping");
                    return;
                }
            } catch (RuntimeException e) {
                log.error("writing {} audit entries failed", batch.size(), e);
            } finally {
                synchronized (progress) {
                    handled += batch.size();
                    progress.notifyAll();
                }
                batch.clear();
            }
        }
    }

    /** Publishes a written batch to the cluster's log; a failure is logged and counted. */
    private void share(List<AuditEntry> batch) {
        if (shared == null) {
            return;
        }
        try {
            shared.publisher().publish(batch.stream().map(AuditLog::encode).toList());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            unshared.addAndGet(batch.size());
        } catch (Exception e) {
            long n = unshared.addAndGet(batch.size());
            log.warn(
                    "{} audit entries not stored in the cluster's log ({} so far; they are in this"
                            + " node's audit.db): {}",
                    batch.size(),
                    n,
                    e.toString());
        }
    }

    /** An entry as the cluster's log stores it: JSON, the time in epoch milliseconds. */
    static byte[] encode(AuditEntry e) {
        ObjectNode o = JSON.createObjectNode();
        o.put("time", e.time().toEpochMilli());
        o.put("keyId", e.keyId());
        o.put("keyName", e.keyName());
        o.put("method", e.method());
        o.put("route", e.route());
        o.put("target", e.target());
        o.put("status", e.status());
        o.put("code", e.code());
        o.put("clientIp", e.clientIp());
        o.put("requestId", e.requestId());
        try {
            return JSON.writeValueAsBytes(o);
        } catch (IOException x) {
            throw new IllegalStateException(x);
        }
    }

    static AuditEntry decode(byte[] bytes) throws IOException {
        JsonNode o = JSON.readTree(bytes);
        return new AuditEntry(
                Instant.ofEpochMilli(o.path("time").asLong()),
                text(o, "keyId"),
                text(o, "keyName"),
                text(o, "method"),
                text(o, "route"),
                text(o, "target"),
                o.path("status").asInt(),
                text(o, "code"),
                text(o, "clientIp"),
                text(o, "requestId"));
    }

    private static String text(JsonNode o, String field) {
        JsonNode n = o.get(field);
        return n == null || n.isNull() ? null : n.asText();
    }

    private void write(List<AuditEntry> batch) {
        synchronized (db) {
            try {
                db.setAutoCommit(false);
                try (PreparedStatement st =
                        db.prepareStatement(
                                "INSERT INTO audit (time_ms, key_id, key_name, method, route,"
                                        + " target, status, code, client_ip, request_id)"
                                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                    for (AuditEntry e : batch) {
                        st.setLong(1, e.time().toEpochMilli());
                        st.setString(2, e.keyId());
                        st.setString(3, e.keyName());
                        st.setString(4, e.method());
                        st.setString(5, e.route());
                        st.setString(6, e.target());
                        st.setInt(7, e.status());
                        st.setString(8, e.code());
                        st.setString(9, e.clientIp());
                        st.setString(10, e.requestId());
                        st.addBatch();
                    }
                    st.executeBatch();
                }
                try (PreparedStatement old =
                                db.prepareStatement("DELETE FROM audit WHERE time_ms < ?");
                        PreparedStatement over =
                                db.prepareStatement(
                                        "DELETE FROM audit WHERE id <= (SELECT MAX(id) FROM audit)"
                                                + " - ?")) {
                    old.setLong(1, System.currentTimeMillis() - limits.auditMaxAge().toMillis());
                    old.executeUpdate();
                    over.setLong(1, limits.auditMaxEntries());
                    over.executeUpdate();
                }
                db.commit();
            } catch (SQLException e) {
                try {
                    db.rollback();
                } catch (SQLException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw new IllegalStateException("audit write failed", e);
            } finally {
                try {
                    db.setAutoCommit(true);
                } catch (SQLException e) {
                    log.warn("audit: cannot restore autocommit: {}", e.toString());
                }
            }
        }
    }

    /** Writes what is queued, then closes the file. */
    @Override
    public void close() {
        closing = true;
        try {
            writer.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (db) {
            try {
                db.close();
            } catch (SQLException e) {
                log.warn("closing the audit log failed: {}", e.toString());
            }
        }
    }
}
