package dev.kiln.host.kv;

import dev.kiln.abi.HostDeadlineException;
import dev.kiln.abi.KvBucket;
import dev.kiln.abi.KvException;
import dev.kiln.host.storage.GroupCommitWriter;
import dev.kiln.host.storage.Sql;
import dev.kiln.host.storage.SqliteFiles;
import dev.kiln.host.storage.SqliteSchema;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every service's key-value store in {@code <data>/kv.db} (docs/adr/0039): one table keyed by
 * (service, key). Writes go through one writer thread ({@link GroupCommitWriter}) that applies them
 * in order, batched into one transaction: a read-modify-write (increment, compare-and-swap) is
 * atomic because nothing else writes in between, and concurrent writers share commits. Reads use a
 * connection of their own (WAL: they never wait for the writer). What each service holds is kept in
 * memory, written only by the writer, so a limit check costs no query.
 */
public final class SqliteKvStore implements KvStore {
    public static final String FILE_NAME = "kv.db";

    private static final Logger log = LoggerFactory.getLogger(SqliteKvStore.class);
    private static final int QUEUE_CAPACITY = 10_000;
    private static final int MAX_BATCH = 256;
    private static final Duration SWEEP_INTERVAL = Duration.ofSeconds(60);
    private static final long ADMIN_WAIT_SECONDS = 30;

    private static final List<SqliteSchema.Step> SCHEMA =
            List.of(
                    st -> {
                        st.execute(
                                "CREATE TABLE kv (service TEXT NOT NULL, key BLOB NOT NULL,"
                                        + " value BLOB NOT NULL, expires_at INTEGER,"
                                        + " PRIMARY KEY (service, key)) WITHOUT ROWID");
                        st.execute(
                                "CREATE INDEX kv_expiry ON kv (expires_at)"
                                        + " WHERE expires_at IS NOT NULL");
                    });

    private final Connection writeDb;
    private final Connection readDb;
    private final KvLimits limits;
    private final Clock clock;
    private final Map<String, KvUsage> usage = new ConcurrentHashMap<>();
    private final GroupCommitWriter<KvOp> writer;
    private long lastSweep;

    private SqliteKvStore(Connection writeDb, Connection readDb, KvLimits limits, Clock clock)
            throws SQLException {
        this.writeDb = writeDb;
        this.readDb = readDb;
        this.limits = limits;
        this.clock = clock;
        this.lastSweep = clock.millis();
        loadUsage();
        this.writer =
                new GroupCommitWriter<>(
                        "kiln-kv-writer",
                        QUEUE_CAPACITY,
                        MAX_BATCH,
                        Duration.ofSeconds(1),
                        new Writes());
    }

    public static SqliteKvStore open(Path dataDir, KvLimits limits) {
        return open(dataDir, limits, Clock.systemUTC());
    }

    /** With a clock of the caller's, for tests of expiry. */
    public static SqliteKvStore open(Path dataDir, KvLimits limits, Clock clock) {
        Path file = dataDir.resolve(FILE_NAME);
        Connection write = null;
        try {
            // NORMAL: a power cut may lose the last commits, never corrupt the file; the store is
            // a cache-like state as in Spin and Workers KV, not the event queue.
            write = SqliteFiles.open(file, SqliteFiles.Durability.NORMAL);
            SqliteSchema.migrate(write, FILE_NAME, SCHEMA);
            Connection read = SqliteFiles.open(file, SqliteFiles.Durability.NORMAL);
            return new SqliteKvStore(write, read, limits, clock);
        } catch (SQLException | IOException e) {
            closeQuietly(write);
            throw new IllegalStateException("cannot open " + file, e);
        }
    }

    @Override
    public KvBucket bucket(String service) {
        return new Bucket(service);
    }

    @Override
    public KvLimits limits() {
        return limits;
    }

    @Override
    public KvUsage usage(String service) {
        return usage.getOrDefault(service, KvUsage.EMPTY);
    }

    @Override
    public Optional<KvEntry> entry(String service, byte[] key) {
        synchronized (readDb) {
            try {
                return Sql.first(
                        readDb,
                        "SELECT value, expires_at FROM kv WHERE service = ? AND key = ?"
                                + " AND (expires_at IS NULL OR expires_at > ?)",
                        rs -> new KvEntry(key, rs.getBytes(1), rs.getLong(2)),
                        service,
                        key,
                        clock.millis());
            } catch (SQLException e) {
                throw unavailable(e);
            }
        }
    }

    @Override
    public List<KvEntry> keys(String service, byte[] prefix, byte[] after, int limit) {
        byte[] upper = upperBound(prefix);
        String sql =
                "SELECT key, expires_at FROM kv WHERE service = ? AND key > ? AND key >= ?"
                        + (upper == null ? "" : " AND key < ?")
                        + " AND (expires_at IS NULL OR expires_at > ?) ORDER BY key LIMIT ?";
        Object[] params =
                upper == null
                        ? new Object[] {service, after, prefix, clock.millis(), limit}
                        : new Object[] {service, after, prefix, upper, clock.millis(), limit};
        synchronized (readDb) {
            try {
                return Sql.list(
                        readDb,
                        sql,
                        rs -> new KvEntry(rs.getBytes(1), new byte[0], rs.getLong(2)),
                        params);
            } catch (SQLException e) {
                throw unavailable(e);
            }
        }
    }

    /** The smallest byte string greater than every string starting with {@code prefix}, if any. */
    static byte[] upperBound(byte[] prefix) {
        int end = prefix.length;
        while (end > 0 && prefix[end - 1] == (byte) 0xFF) {
            end--;
        }
        if (end == 0) {
            return null;
        }
        byte[] upper = Arrays.copyOf(prefix, end);
        upper[end - 1]++;
        return upper;
    }

    @Override
    public void close() {
        writer.close();
        closeQuietly(readDb);
        closeQuietly(writeDb);
    }

    /** Hands a change to the writer and waits for its result. */
    private Object submit(KvOp op, boolean guest) {
        if (!writer.offer(op)) {
            throw new KvException(KvException.Kind.UNAVAILABLE, "the key-value store is busy");
        }
        try {
            // A guest waits until its deadline interrupts it; the admin API up to a bound.
            return guest
                    ? op.result().get()
                    : op.result().get(ADMIN_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HostDeadlineException();
        } catch (TimeoutException e) {
            throw new KvException(KvException.Kind.UNAVAILABLE, "the key-value store is slow");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof KvException k) {
                throw k;
            }
            throw new KvException(KvException.Kind.UNAVAILABLE, "the key-value store failed");
        }
    }

    // The admin API's writes: the same as a guest's, with a bounded wait.
    @Override
    public void put(String service, byte[] key, byte[] value, long ttlMillis) {
        submit(
                new KvOp.Set(service, key, value, expiry(ttlMillis), new CompletableFuture<>()),
                false);
    }

    @Override
    public boolean remove(String service, byte[] key) {
        return (Boolean) submit(new KvOp.Delete(service, key, new CompletableFuture<>()), false);
    }

    private long expiry(long ttlMillis) {
        return ttlMillis == 0 ? 0 : saturatedAdd(clock.millis(), ttlMillis);
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }

    private final class Bucket implements KvBucket {
        private final String service;

        Bucket(String service) {
            this.service = service;
        }

        @Override
        public Optional<byte[]> get(byte[] key) {
            return entry(service, key).map(KvEntry::value);
        }

        @Override
        public void set(byte[] key, byte[] value, long ttlMillis) {
            submit(
                    new KvOp.Set(service, key, value, expiry(ttlMillis), new CompletableFuture<>()),
                    true);
        }

        @Override
        public boolean delete(byte[] key) {
            return (Boolean) submit(new KvOp.Delete(service, key, new CompletableFuture<>()), true);
        }

        @Override
        public List<byte[]> list(byte[] prefix, byte[] after, int limit) {
            List<byte[]> out = new ArrayList<>();
            for (KvEntry e : keys(service, prefix, after, limit)) {
                out.add(e.key());
            }
            return out;
        }

        @Override
        public long increment(byte[] key, long delta) {
            return (Long)
                    submit(
                            new KvOp.Increment(service, key, delta, new CompletableFuture<>()),
                            true);
        }

        @Override
        public boolean compareAndSwap(byte[] key, byte[] expected, byte[] value) {
            return (Boolean)
                    submit(
                            new KvOp.CompareAndSwap(
                                    service, key, expected, value, new CompletableFuture<>()),
                            true);
        }
    }

    /** A stored row as the writer sees it, expired or not. */
    private record Row(byte[] value, long expiresAt, long bytes, boolean live) {}

    /** The writer thread's side: applies a batch in one transaction. */
    private final class Writes implements GroupCommitWriter.Sink<KvOp> {
        @Override
        public void write(List<KvOp> batch) {
            Map<String, KvUsage> pending = new HashMap<>();
            List<Object> results = new ArrayList<>(batch.size());
            long now = clock.millis();
            try {
                Sql.inTransaction(
                        writeDb,
                        () -> {
                            for (KvOp op : batch) {
                                try {
                                    results.add(apply(op, now, pending));
                                } catch (KvException e) {
                                    results.add(e);
                                }
                            }
                        });
            } catch (SQLException | RuntimeException e) {
                log.warn("key-value batch of {} changes failed", batch.size(), e);
                results.clear();
                reloadUsage();
                failed(batch, e);
                return;
            }
            usage.putAll(pending);
            for (int i = 0; i < batch.size(); i++) {
                Object r = results.get(i);
                if (r instanceof KvException e) {
                    batch.get(i).result().completeExceptionally(e);
                } else {
                    batch.get(i).result().complete(r);
                }
            }
        }

        @Override
        public void failed(List<KvOp> batch, Throwable cause) {
            for (KvOp op : batch) {
                op.result()
                        .completeExceptionally(
                                new KvException(
                                        KvException.Kind.UNAVAILABLE,
                                        "the key-value store could not write"));
            }
        }

        @Override
        public void abandoned(List<KvOp> changes) {
            for (KvOp op : changes) {
                op.result()
                        .completeExceptionally(
                                new KvException(
                                        KvException.Kind.UNAVAILABLE,
                                        "the key-value store is closing"));
            }
        }

        @Override
        public void idle() {
            long now = clock.millis();
            if (now - lastSweep < SWEEP_INTERVAL.toMillis()) {
                return;
            }
            lastSweep = now;
            try {
                int n =
                        Sql.update(
                                writeDb,
                                "DELETE FROM kv WHERE expires_at IS NOT NULL AND expires_at <= ?",
                                now);
                if (n > 0) {
                    reloadUsage();
                }
            } catch (SQLException e) {
                log.warn("sweeping expired keys failed", e);
            }
        }

        private Object apply(KvOp op, long now, Map<String, KvUsage> pending) throws SQLException {
            Row row = row(op.service(), op.key(), now);
            return switch (op) {
                case KvOp.Set s -> {
                    store(s.service(), s.key(), s.value(), s.expiresAt(), row, now, pending);
                    yield true;
                }
                case KvOp.Delete d -> {
                    if (row == null) {
                        yield false;
                    }
                    Sql.update(
                            writeDb,
                            "DELETE FROM kv WHERE service = ? AND key = ?",
                            d.service(),
                            d.key());
                    pending.put(d.service(), usageOf(d.service(), pending).plus(-1, -row.bytes()));
                    yield row.live();
                }
                case KvOp.Increment inc -> {
                    long current = row != null && row.live() ? parse(row.value()) : 0;
                    long sum;
                    try {
                        sum = Math.addExact(current, inc.delta());
                    } catch (ArithmeticException e) {
                        throw new KvException(KvException.Kind.INVALID, "overflow");
                    }
                    long expiresAt = row != null && row.live() ? row.expiresAt() : 0;
                    store(
                            inc.service(),
                            inc.key(),
                            Long.toString(sum).getBytes(StandardCharsets.US_ASCII),
                            expiresAt,
                            row,
                            now,
                            pending);
                    yield sum;
                }
                case KvOp.CompareAndSwap cas -> {
                    boolean live = row != null && row.live();
                    boolean matches =
                            cas.expected() == null
                                    ? !live
                                    : live && Arrays.equals(row.value(), cas.expected());
                    if (matches) {
                        store(cas.service(), cas.key(), cas.value(), 0, row, now, pending);
                    }
                    yield matches;
                }
            };
        }

        /** Writes a value, refusing growth past the service's limits (after purging expiry). */
        private void store(
                String service,
                byte[] key,
                byte[] value,
                long expiresAt,
                Row row,
                long now,
                Map<String, KvUsage> pending)
                throws SQLException {
            long newBytes = (long) key.length + value.length;
            long addKeys = row == null ? 1 : 0;
            long addBytes = newBytes - (row == null ? 0 : row.bytes());
            if (!fits(usageOf(service, pending), addKeys, addBytes)) {
                // Expired keys still take room until purged: purge this service's, then look again.
                purge(service, now, pending);
                row = row(service, key, now);
                addKeys = row == null ? 1 : 0;
                addBytes = newBytes - (row == null ? 0 : row.bytes());
                KvUsage u = usageOf(service, pending);
                if (!fits(u, addKeys, addBytes)) {
                    throw u.full();
                }
            }
            Sql.update(
                    writeDb,
                    "INSERT INTO kv (service, key, value, expires_at) VALUES (?, ?, ?, ?)"
                            + " ON CONFLICT (service, key) DO UPDATE"
                            + " SET value = excluded.value, expires_at = excluded.expires_at",
                    service,
                    key,
                    value,
                    expiresAt == 0 ? null : expiresAt);
            pending.put(service, usageOf(service, pending).plus(addKeys, addBytes));
        }

        private boolean fits(KvUsage u, long addKeys, long addBytes) {
            return (addKeys <= 0 || u.keys() + addKeys <= limits.maxKeysPerService())
                    && (addBytes <= 0 || u.bytes() + addBytes <= limits.maxBytesPerService());
        }

        private void purge(String service, long now, Map<String, KvUsage> pending)
                throws SQLException {
            Sql.update(
                    writeDb,
                    "DELETE FROM kv WHERE service = ? AND expires_at IS NOT NULL"
                            + " AND expires_at <= ?",
                    service,
                    now);
            pending.put(service, count(writeDb, service));
        }

        private KvUsage usageOf(String service, Map<String, KvUsage> pending) {
            KvUsage u = pending.get(service);
            return u != null ? u : usage(service);
        }

        private Row row(String service, byte[] key, long now) throws SQLException {
            return Sql.first(
                            writeDb,
                            "SELECT value, expires_at FROM kv WHERE service = ? AND key = ?",
                            rs -> {
                                byte[] v = rs.getBytes(1);
                                long exp = rs.getLong(2);
                                return new Row(
                                        v,
                                        exp,
                                        (long) key.length + v.length,
                                        exp == 0 || exp > now);
                            },
                            service,
                            key)
                    .orElse(null);
        }
    }

    /** A stored counter: a signed 64-bit decimal integer, as kv_increment writes it. */
    private static long parse(byte[] value) {
        String s = new String(value, StandardCharsets.US_ASCII);
        if (value.length == 0 || value.length > 20 || !s.matches("-?[0-9]+")) {
            throw new KvException(KvException.Kind.INVALID, "the value is not an integer");
        }
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new KvException(KvException.Kind.INVALID, "the value is not an integer");
        }
    }

    private void loadUsage() throws SQLException {
        for (var e :
                Sql.list(
                        writeDb,
                        "SELECT service, count(*), coalesce(sum(length(key) + length(value)), 0)"
                                + " FROM kv GROUP BY service",
                        rs ->
                                Map.entry(
                                        rs.getString(1),
                                        new KvUsage(rs.getLong(2), rs.getLong(3))))) {
            usage.put(e.getKey(), e.getValue());
        }
    }

    private void reloadUsage() {
        try {
            usage.clear();
            loadUsage();
        } catch (SQLException e) {
            log.warn("reading key-value usage failed", e);
        }
    }

    private static KvUsage count(Connection db, String service) throws SQLException {
        return Sql.first(
                        db,
                        "SELECT count(*), coalesce(sum(length(key) + length(value)), 0)"
                                + " FROM kv WHERE service = ?",
                        rs -> new KvUsage(rs.getLong(1), rs.getLong(2)),
                        service)
                .orElse(KvUsage.EMPTY);
    }

    private static KvException unavailable(SQLException e) {
        log.warn("key-value read failed", e);
        return new KvException(KvException.Kind.UNAVAILABLE, "the key-value store failed");
    }

    private static void closeQuietly(Connection c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (SQLException e) {
            log.debug("closing kv.db", e);
        }
    }
}
