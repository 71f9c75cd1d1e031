package dev.kiln.host.events;

import dev.kiln.host.core.BackgroundLoops;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.FaultPoint;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.storage.DiskSpace;
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
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.ToIntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded {@link EventQueue}: tables in {@code events.db} (SQLite, WAL, {@code
 * synchronous=FULL}). One writer thread applies every change; changes that arrive together share
 * one transaction and one fsync (group commit), each inside its own savepoint so one refused change
 * never undoes another. Futures complete only after the commit.
 */
public final class SqliteEventQueue implements EventQueue {
    private static final Logger log = LoggerFactory.getLogger(SqliteEventQueue.class);
    private static final int SCHEMA_VERSION = 1;
    private static final int MAX_BATCH = 256;

    /** Test seam: throws in the writer inside a batch's transaction (ADR 0030). */
    static final FaultPoint FAULTS = new FaultPoint();

    private static final String COLUMNS =
            "seq, request_id, service, function, trigger, source, payload, depth, created_at,"
                    + " attempts, due_at, last_error, last_message";

    private final Connection writer;
    private final Connection reader;
    private final ToIntFunction<String> maxQueuedOf;
    private final BlockingQueue<Op<?>> ops = new LinkedBlockingQueue<>();
    private final Thread writerThread;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

    // State mirrored from the tables; changed only by the writer thread, after a commit.
    private final Map<String, Long> depth = new ConcurrentHashMap<>();
    private final Map<Long, String> leases = new HashMap<>();
    private final Map<String, Long> leasedPerFunction = new ConcurrentHashMap<>();
    private volatile boolean closing;

    private SqliteEventQueue(Connection writer, Connection reader, ToIntFunction<String> maxQueued)
            throws SQLException {
        this.writer = writer;
        this.reader = reader;
        this.maxQueuedOf = maxQueued;
        try (Statement st = reader.createStatement();
                ResultSet rs =
                        st.executeQuery(
                                "SELECT service, function, COUNT(*) FROM events GROUP BY 1, 2")) {
            while (rs.next()) {
                depth.put(rs.getString(1) + "/" + rs.getString(2), rs.getLong(3));
            }
        }
        this.writerThread = new Thread(this::writeLoop, "kiln-event-writer");
        this.writerThread.setDaemon(true);
        this.writerThread.start();
    }

    /**
     * Opens (creating if needed) the queue in {@code <dataDir>/events.db}.
     *
     * @param maxQueuedOf the most events function {@code s/f} may have stored
     */
    public static SqliteEventQueue open(Path dataDir, ToIntFunction<String> maxQueuedOf) {
        Path file = dataDir.resolve("events.db");
        try {
            Connection writer = SqliteFiles.open(file, SqliteFiles.Durability.FULL);
            migrate(writer);
            Connection reader = SqliteFiles.open(file, SqliteFiles.Durability.FULL);
            return new SqliteEventQueue(writer, reader, maxQueuedOf);
        } catch (SQLException | IOException e) {
            throw new IllegalStateException("cannot open events.db in " + dataDir, e);
        }
    }

    private static void migrate(Connection db) throws SQLException {
        try (Statement st = db.createStatement()) {
            int version;
            try (ResultSet rs = st.executeQuery("PRAGMA user_version")) {
                version = rs.next() ? rs.getInt(1) : 0;
            }
            if (version > SCHEMA_VERSION) {
                throw new IllegalStateException(
                        "events.db has schema version " + version + ", newer than this Kiln knows");
            }
            if (version < 1) {
                st.execute(
                        "CREATE TABLE IF NOT EXISTS events ("
                                + " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
                                + " request_id TEXT NOT NULL UNIQUE,"
                                + " service TEXT NOT NULL, function TEXT NOT NULL,"
                                + " trigger TEXT NOT NULL, source TEXT NOT NULL,"
                                + " payload BLOB NOT NULL, depth INTEGER NOT NULL,"
                                + " created_at INTEGER NOT NULL, attempts INTEGER NOT NULL,"
                                + " due_at INTEGER NOT NULL, last_error TEXT, last_message TEXT)");
                st.execute("CREATE INDEX IF NOT EXISTS events_due ON events (due_at, seq)");
                st.execute(
                        "CREATE INDEX IF NOT EXISTS events_fn ON events (service, function, seq)");
                st.execute(
                        "CREATE TABLE IF NOT EXISTS dead_letters ("
                                + " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
                                + " request_id TEXT NOT NULL UNIQUE,"
                                + " service TEXT NOT NULL, function TEXT NOT NULL,"
                                + " trigger TEXT NOT NULL, source TEXT NOT NULL,"
                                + " payload BLOB NOT NULL, depth INTEGER NOT NULL,"
                                + " created_at INTEGER NOT NULL,"
                                + " dead_lettered_at INTEGER NOT NULL,"
                                + " attempts INTEGER NOT NULL, reason TEXT NOT NULL,"
                                + " error_code TEXT, error_message TEXT)");
                st.execute(
                        "CREATE INDEX IF NOT EXISTS dead_letters_fn ON dead_letters"
                                + " (service, function, seq)");
                st.execute(
                        "CREATE TABLE IF NOT EXISTS fire_marks ("
                                + " key TEXT PRIMARY KEY, scheduled_at INTEGER NOT NULL)");
                st.execute("PRAGMA user_version = " + SCHEMA_VERSION);
            }
        }
    }

    // ---------------------------------------------------------------- writes (writer thread)

    @Override
    public CompletableFuture<Boolean> enqueue(
            List<NewEvent> events, FireMark mark, Overflow overflow) {
        List<NewEvent> copy = List.copyOf(events);
        return submit(
                new Op<Boolean>() {
                    @Override
                    Boolean run(Batch b) throws SQLException {
                        if (mark != null) {
                            Optional<Instant> last = lastMark(mark.key(), writer);
                            if (last.isPresent() && !mark.scheduledAt().isAfter(last.get())) {
                                return false;
                            }
                            upsertMark(mark);
                        }
                        Map<String, Integer> perFunction = new TreeMap<>();
                        for (NewEvent e : copy) {
                            perFunction.merge(e.functionKey(), 1, Integer::sum);
                        }
                        for (var entry : perFunction.entrySet()) {
                            long max = maxQueuedOf.applyAsInt(entry.getKey());
                            if (b.depth(entry.getKey()) + entry.getValue() > max) {
                                if (overflow == Overflow.DROP_EVENTS) {
                                    return false;
                                }
                                throw new KilnException(
                                        ErrorCode.OVERLOADED,
                                        "the event queue of "
                                                + entry.getKey()
                                                + " is full ("
                                                + max
                                                + " events); retry later");
                            }
                        }
                        long now = System.currentTimeMillis();
                        for (NewEvent e : copy) {
                            insert(b, e, now);
                        }
                        return true;
                    }
                });
    }

    @Override
    public CompletableFuture<List<QueuedEvent>> lease(
            int max, Instant now, ToIntFunction<String> inFlightCap) {
        return submit(
                new Op<List<QueuedEvent>>() {
                    @Override
                    List<QueuedEvent> run(Batch b) throws SQLException {
                        return leaseDue(b, max, now.toEpochMilli(), inFlightCap);
                    }
                });
    }

    private List<QueuedEvent> leaseDue(
            Batch b, int max, long now, ToIntFunction<String> inFlightCap) throws SQLException {
        List<QueuedEvent> out = new ArrayList<>();
        if (max <= 0) {
            return out;
        }
        // Leases per function: out already, or taken by an earlier change of this same batch.
        Map<String, Long> leased = new HashMap<>(leasedPerFunction);
        b.leasesAdded.values().forEach(fn -> leased.merge(fn, 1L, Long::sum));
        Set<Long> excluded = new HashSet<>(leases.keySet());
        excluded.addAll(b.leasesAdded.keySet());
        // Functions at their cap are left out by the query itself: skipping their rows after
        // reading them would let one capped function with a long backlog of older events fill
        // every window, so that no other function's events were ever reached (starvation). The
        // index scan still passes over their due rows (about 0.4 µs each: 4 ms for a backlog of
        // 10 000), the price of one global oldest-first order.
        Set<String> capped = new TreeSet<>();
        leased.forEach(
                (fn, n) -> {
                    int cap = inFlightCap.applyAsInt(fn);
                    if (cap > 0 && n >= cap) {
                        capped.add(fn);
                    }
                });
        while (out.size() < max) {
            int limit = (max - out.size()) * 4 + 16;
            boolean skipped = false;
            int rows = 0;
            try (PreparedStatement st = writer.prepareStatement(dueQuery(excluded, capped))) {
                int i = 1;
                st.setLong(i++, now);
                for (long seq : excluded) {
                    st.setLong(i++, seq);
                }
                for (String fn : capped) {
                    int slash = fn.indexOf('/');
                    st.setString(i++, fn.substring(0, slash));
                    st.setString(i++, fn.substring(slash + 1));
                }
                st.setInt(i, limit);
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next() && out.size() < max) {
                        rows++;
                        QueuedEvent e = read(rs, true);
                        String fn = e.functionKey();
                        if (capped.contains(fn)) {
                            skipped = true; // it reached its cap earlier in this window
                            continue;
                        }
                        excluded.add(e.seq());
                        long n = leased.merge(fn, 1L, Long::sum);
                        int cap = inFlightCap.applyAsInt(fn);
                        if (cap > 0 && n >= cap) {
                            capped.add(fn);
                        }
                        out.add(
                                new QueuedEvent(
                                        e.seq(),
                                        e.requestId(),
                                        e.service(),
                                        e.function(),
                                        e.trigger(),
                                        e.source(),
                                        e.payload(),
                                        e.depth(),
                                        e.createdAt(),
                                        e.attempts() + 1,
                                        e.dueAt(),
                                        e.lastError(),
                                        e.lastMessage()));
                    }
                }
            }
            // Look again only if rows were passed over for a function that filled up in this
            // window and more rows may lie beyond it: each pass caps at least one more function,
            // so this ends.
            if (!skipped || rows < limit) {
                break;
            }
        }
        if (out.isEmpty()) {
            return out;
        }
        try (PreparedStatement up =
                writer.prepareStatement(
                        "UPDATE events SET attempts = attempts + 1 WHERE seq = ?")) {
            for (QueuedEvent e : out) {
                up.setLong(1, e.seq());
                up.addBatch();
                b.leasesAdded.put(e.seq(), e.functionKey());
            }
            up.executeBatch();
        }
        return out;
    }

    /** Due events, oldest due first, except the leased ones and those of capped functions. */
    private static String dueQuery(Set<Long> excluded, Set<String> capped) {
        StringBuilder sql =
                new StringBuilder("SELECT " + COLUMNS + " FROM events WHERE due_at <= ?");
        if (!excluded.isEmpty()) {
            sql.append(" AND seq NOT IN (").append("?,".repeat(excluded.size() - 1)).append("?)");
        }
        if (!capped.isEmpty()) {
            sql.append(" AND (service, function) NOT IN (VALUES ")
                    .append("(?, ?),".repeat(capped.size() - 1))
                    .append("(?, ?))");
        }
        return sql.append(" ORDER BY due_at, seq LIMIT ?").toString();
    }

    @Override
    public CompletableFuture<Void> complete(QueuedEvent leased, Completion completion) {
        return submit(
                new Op<Void>(leased.seq()) {
                    @Override
                    Void run(Batch b) throws SQLException {
                        b.leasesRemoved.add(leased.seq());
                        switch (completion) {
                            case Completion.Done d -> {
                                delete(b, leased);
                                insertAll(b, d.followUps());
                            }
                            case Completion.Retry r -> retry(leased, r);
                            case Completion.DeadLettered d -> {
                                if (d.keepInList()) {
                                    moveToDeadLetters(leased, d);
                                }
                                delete(b, leased);
                                insertAll(b, d.followUps());
                            }
                            case Completion.Discarded x -> delete(b, leased);
                        }
                        return null;
                    }
                });
    }

    private void retry(QueuedEvent e, Completion.Retry r) throws SQLException {
        try (PreparedStatement st =
                writer.prepareStatement(
                        "UPDATE events SET due_at = ?, last_error = ?, last_message = ?,"
                                + " attempts = attempts - ? WHERE seq = ?")) {
            st.setLong(1, r.dueAt().toEpochMilli());
            st.setString(2, r.errorCode());
            st.setString(3, r.message());
            st.setInt(4, r.counted() ? 0 : 1);
            st.setLong(5, e.seq());
            st.executeUpdate();
        }
    }

    private void moveToDeadLetters(QueuedEvent e, Completion.DeadLettered d) throws SQLException {
        try (PreparedStatement st =
                writer.prepareStatement(
                        "INSERT OR REPLACE INTO dead_letters (request_id, service, function,"
                                + " trigger, source, payload, depth, created_at, dead_lettered_at,"
                                + " attempts, reason, error_code, error_message)"
                                + " SELECT request_id, service, function, trigger, source,"
                                + " payload, depth, created_at, ?, ?, ?, ?, ?"
                                + " FROM events WHERE seq = ?")) {
            st.setLong(1, System.currentTimeMillis());
            st.setInt(2, d.attempts());
            st.setString(3, d.reason());
            st.setString(4, d.errorCode());
            st.setString(5, d.message());
            st.setLong(6, e.seq());
            st.executeUpdate();
        }
    }

    private void delete(Batch b, QueuedEvent e) throws SQLException {
        try (PreparedStatement st = writer.prepareStatement("DELETE FROM events WHERE seq = ?")) {
            st.setLong(1, e.seq());
            if (st.executeUpdate() > 0) {
                b.addDepth(e.functionKey(), -1);
            }
        }
    }

    private void insertAll(Batch b, List<NewEvent> events) throws SQLException {
        long now = System.currentTimeMillis();
        for (NewEvent e : events) {
            insert(b, e, now);
        }
    }

    private void insert(Batch b, NewEvent e, long now) throws SQLException {
        try (PreparedStatement st =
                writer.prepareStatement(
                        "INSERT INTO events (request_id, service, function, trigger, source,"
                                + " payload, depth, created_at, attempts, due_at)"
                                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?)")) {
            st.setString(1, e.requestId());
            st.setString(2, e.service());
            st.setString(3, e.function());
            st.setString(4, e.trigger());
            st.setString(5, e.source());
            st.setBytes(6, e.payload());
            st.setInt(7, e.depth());
            st.setLong(8, now);
            st.setLong(9, now);
            st.executeUpdate();
        }
        b.addDepth(e.functionKey(), 1);
        b.changed = true;
    }

    private void upsertMark(FireMark mark) throws SQLException {
        try (PreparedStatement st =
                writer.prepareStatement(
                        "INSERT INTO fire_marks VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET"
                                + " scheduled_at = excluded.scheduled_at")) {
            st.setString(1, mark.key());
            st.setLong(2, mark.scheduledAt().toEpochMilli());
            st.executeUpdate();
        }
    }

    @Override
    public CompletableFuture<Boolean> deleteMark(String key) {
        return submit(
                new Op<Boolean>() {
                    @Override
                    Boolean run(Batch b) throws SQLException {
                        try (PreparedStatement st =
                                writer.prepareStatement("DELETE FROM fire_marks WHERE key = ?")) {
                            st.setString(1, key);
                            return st.executeUpdate() > 0;
                        }
                    }
                });
    }

    @Override
    public CompletableFuture<Integer> deleteMarksWithPrefix(String prefix) {
        return submit(
                new Op<Integer>() {
                    @Override
                    Integer run(Batch b) throws SQLException {
                        // Compared as a substring: LIKE would read _ and % in names as patterns.
                        try (PreparedStatement st =
                                writer.prepareStatement(
                                        "DELETE FROM fire_marks WHERE substr(key, 1, length(?1))"
                                                + " = ?1")) {
                            st.setString(1, prefix);
                            return st.executeUpdate();
                        }
                    }
                });
    }

    @Override
    public CompletableFuture<Integer> redrive(String service, String function, String requestId) {
        String key = service + "/" + function;
        return submit(
                new Op<Integer>() {
                    @Override
                    Integer run(Batch b) throws SQLException {
                        String where =
                                " WHERE service = ? AND function = ?"
                                        + (requestId == null ? "" : " AND request_id = ?");
                        int n;
                        try (PreparedStatement st =
                                writer.prepareStatement(
                                        "SELECT COUNT(*) FROM dead_letters" + where)) {
                            bindFunction(st, service, function, requestId);
                            try (ResultSet rs = st.executeQuery()) {
                                n = rs.next() ? rs.getInt(1) : 0;
                            }
                        }
                        if (n == 0) {
                            return 0;
                        }
                        long max = maxQueuedOf.applyAsInt(key);
                        if (b.depth(key) + n > max) {
                            throw new KilnException(
                                    ErrorCode.OVERLOADED,
                                    n
                                            + " dead letters do not fit the event queue of "
                                            + key
                                            + " ("
                                            + max
                                            + " events); retry later");
                        }
                        long now = System.currentTimeMillis();
                        try (PreparedStatement st =
                                writer.prepareStatement(
                                        "INSERT INTO events (request_id, service, function,"
                                                + " trigger, source, payload, depth, created_at,"
                                                + " attempts, due_at) SELECT request_id, service,"
                                                + " function, trigger, source, payload, depth, ?,"
                                                + " 0, ? FROM dead_letters"
                                                + where
                                                + " ORDER BY seq")) {
                            st.setLong(1, now);
                            st.setLong(2, now);
                            st.setString(3, service);
                            st.setString(4, function);
                            if (requestId != null) {
                                st.setString(5, requestId);
                            }
                            st.executeUpdate();
                        }
                        try (PreparedStatement st =
                                writer.prepareStatement("DELETE FROM dead_letters" + where)) {
                            bindFunction(st, service, function, requestId);
                            st.executeUpdate();
                        }
                        b.addDepth(key, n);
                        b.changed = true;
                        return n;
                    }
                });
    }

    @Override
    public CompletableFuture<Boolean> deleteDeadLetter(
            String service, String function, String requestId) {
        return submit(
                new Op<Boolean>() {
                    @Override
                    Boolean run(Batch b) throws SQLException {
                        try (PreparedStatement st =
                                writer.prepareStatement(
                                        "DELETE FROM dead_letters WHERE service = ? AND function ="
                                                + " ? AND request_id = ?")) {
                            bindFunction(st, service, function, requestId);
                            return st.executeUpdate() > 0;
                        }
                    }
                });
    }

    @Override
    public CompletableFuture<Void> purge(String service, String function) {
        String key = service + "/" + function;
        return submit(
                new Op<Void>() {
                    @Override
                    Void run(Batch b) throws SQLException {
                        for (String table : List.of("events", "dead_letters")) {
                            try (PreparedStatement st =
                                    writer.prepareStatement(
                                            "DELETE FROM "
                                                    + table
                                                    + " WHERE service = ? AND function = ?")) {
                                bindFunction(st, service, function, null);
                                int n = st.executeUpdate();
                                if (table.equals("events")) {
                                    b.addDepth(key, -n);
                                }
                            }
                        }
                        return null;
                    }
                });
    }

    private static void bindFunction(
            PreparedStatement st, String service, String function, String requestId)
            throws SQLException {
        st.setString(1, service);
        st.setString(2, function);
        if (requestId != null) {
            st.setString(3, requestId);
        }
    }

    @Override
    public void onChange(Runnable listener) {
        listeners.add(listener);
    }

    // ---------------------------------------------------------------- the writer loop

    /** One change, run by the writer thread inside a savepoint of the current transaction. */
    private abstract static class Op<T> {
        final CompletableFuture<T> future = new CompletableFuture<>();
        // The event whose lease this change ends, stored or not; null if it ends none.
        final Long endsLease;
        T result;
        RuntimeException refused;

        Op() {
            this(null);
        }

        Op(Long endsLease) {
            this.endsLease = endsLease;
        }

        abstract T run(Batch b) throws SQLException;
    }

    /** What a batch changes in memory; applied only once its transaction commits. */
    private final class Batch {
        final Map<String, Long> depthDelta = new HashMap<>();
        final Map<Long, String> leasesAdded = new HashMap<>();
        final Set<Long> leasesRemoved = new HashSet<>();
        boolean changed;

        long depth(String key) {
            return depth.getOrDefault(key, 0L) + depthDelta.getOrDefault(key, 0L);
        }

        void addDepth(String key, long delta) {
            depthDelta.merge(key, delta, Long::sum);
        }

        Batch copy() {
            Batch c = new Batch();
            c.depthDelta.putAll(depthDelta);
            c.leasesAdded.putAll(leasesAdded);
            c.leasesRemoved.addAll(leasesRemoved);
            c.changed = changed;
            return c;
        }
    }

    private <T> CompletableFuture<T> submit(Op<T> op) {
        if (closing) {
            op.future.completeExceptionally(
                    new KilnException(ErrorCode.OVERLOADED, "Kiln is shutting down; retry later"));
            return op.future;
        }
        ops.add(op);
        return op.future;
    }

    private void writeLoop() {
        List<Op<?>> batch = new ArrayList<>();
        while (true) {
            try {
                Op<?> first = ops.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    if (closing && ops.isEmpty()) {
                        return;
                    }
                    continue;
                }
                batch.add(first);
                ops.drainTo(batch, MAX_BATCH - 1);
            } catch (InterruptedException e) {
                if (ops.isEmpty()) {
                    return;
                }
                ops.drainTo(batch, MAX_BATCH);
            }
            try {
                runBatch(batch);
            } catch (Throwable e) { // an Error must not end the only writer (ADR 0030)
                var failure =
                        new KilnException(
                                ErrorCode.INTERNAL, "the event queue could not store the change");
                for (Op<?> op : batch) {
                    op.future.completeExceptionally(failure); // no-op for those already done
                }
                BackgroundLoops.survived(log, writerThread.getName(), e);
            }
            batch.clear();
        }
    }

    private void runBatch(List<Op<?>> batch) {
        Batch b = new Batch();
        boolean began = false;
        try (Statement tx = writer.createStatement()) {
            try {
                // IMMEDIATE takes the write lock up front (waiting out the busy timeout): a
                // deferred transaction that read first could not upgrade while the trigger and
                // settings tables of the same file are being written, and would fail at once.
                tx.execute("BEGIN IMMEDIATE");
                began = true;
                for (Op<?> op : batch) {
                    FAULTS.pass();
                    runInSavepoint(op, b);
                }
                tx.execute("COMMIT");
            } catch (SQLException | RuntimeException | Error e) {
                log.error("event queue transaction of {} changes failed", batch.size(), e);
                if (began) {
                    try {
                        tx.execute("ROLLBACK");
                    } catch (SQLException r) {
                        e.addSuppressed(r);
                    }
                }
                throw e;
            }
        } catch (SQLException | RuntimeException | Error e) {
            var failure = DiskSpace.failure(e, "the event queue could not store the change");
            // Nothing of the batch is stored, but the leases its completions end are over all
            // the same: kept, they would hold their events (and their functions' concurrency)
            // until a restart. The events stay as stored and are leased again when due.
            Batch released = new Batch();
            for (Op<?> op : batch) {
                if (op.endsLease != null) {
                    released.leasesRemoved.add(op.endsLease);
                }
            }
            apply(released);
            for (Op<?> op : batch) {
                op.future.completeExceptionally(failure);
            }
            notifyListeners();
            return;
        }
        apply(b);
        for (Op<?> op : batch) {
            complete(op);
        }
        if (b.changed || !b.leasesRemoved.isEmpty()) {
            notifyListeners();
        }
    }

    private void notifyListeners() {
        for (Runnable l : listeners) {
            try {
                l.run();
            } catch (RuntimeException e) {
                log.warn("event queue listener failed", e);
            }
        }
    }

    private <T> void runInSavepoint(Op<T> op, Batch b) throws SQLException {
        Batch before = b.copy();
        try (Statement st = writer.createStatement()) {
            st.execute("SAVEPOINT op");
        }
        try {
            op.result = op.run(b);
            try (Statement st = writer.createStatement()) {
                st.execute("RELEASE op");
            }
        } catch (KilnException | SQLException e) {
            // This change alone is refused (a full queue, a constraint): undo just it.
            try (Statement st = writer.createStatement()) {
                st.execute("ROLLBACK TO op");
                st.execute("RELEASE op");
            }
            restore(b, before);
            if (op.endsLease != null) {
                // A refused completion still ends its lease; see runBatch.
                b.leasesRemoved.add(op.endsLease);
            }
            op.refused =
                    e instanceof KilnException k
                            ? k
                            : DiskSpace.failure(e, "the event queue could not store the change");
            if (e instanceof SQLException) {
                log.error("event queue change refused by the database", e);
            }
        }
    }

    private static void restore(Batch b, Batch before) {
        b.depthDelta.clear();
        b.depthDelta.putAll(before.depthDelta);
        b.leasesAdded.clear();
        b.leasesAdded.putAll(before.leasesAdded);
        b.leasesRemoved.clear();
        b.leasesRemoved.addAll(before.leasesRemoved);
        b.changed = before.changed;
    }

    private void apply(Batch b) {
        b.depthDelta.forEach(
                (k, d) -> {
                    long v = depth.getOrDefault(k, 0L) + d;
                    if (v <= 0) {
                        depth.remove(k);
                    } else {
                        depth.put(k, v);
                    }
                });
        for (long seq : b.leasesRemoved) {
            String fn = leases.remove(seq);
            if (fn != null) {
                leasedPerFunction.computeIfPresent(fn, (k, n) -> n <= 1 ? null : n - 1);
            }
        }
        b.leasesAdded.forEach(
                (seq, fn) -> {
                    if (leases.put(seq, fn) == null) {
                        leasedPerFunction.merge(fn, 1L, Long::sum);
                    }
                });
    }

    private static <T> void complete(Op<T> op) {
        if (op.refused != null) {
            op.future.completeExceptionally(op.refused);
        } else {
            op.future.complete(op.result);
        }
    }

    // ---------------------------------------------------------------- reads (any thread)

    @Override
    public Optional<Instant> nextDueAfter(Instant now) {
        synchronized (reader) {
            try (PreparedStatement st =
                    reader.prepareStatement("SELECT MIN(due_at) FROM events WHERE due_at > ?")) {
                st.setLong(1, now.toEpochMilli());
                try (ResultSet rs = st.executeQuery()) {
                    long v = rs.next() ? rs.getLong(1) : 0;
                    return rs.wasNull() || v == 0
                            ? Optional.empty()
                            : Optional.of(Instant.ofEpochMilli(v));
                }
            } catch (SQLException e) {
                throw readFailure(e);
            }
        }
    }

    @Override
    public Stats stats(String service, String function) {
        String key = service + "/" + function;
        synchronized (reader) {
            try {
                Instant oldest = null;
                try (PreparedStatement st =
                        reader.prepareStatement(
                                "SELECT MIN(created_at) FROM events WHERE service = ? AND"
                                        + " function = ?")) {
                    bindFunction(st, service, function, null);
                    try (ResultSet rs = st.executeQuery()) {
                        long v = rs.next() ? rs.getLong(1) : 0;
                        if (!rs.wasNull() && v > 0) {
                            oldest = Instant.ofEpochMilli(v);
                        }
                    }
                }
                long dead;
                try (PreparedStatement st =
                        reader.prepareStatement(
                                "SELECT COUNT(*) FROM dead_letters WHERE service = ? AND"
                                        + " function = ?")) {
                    bindFunction(st, service, function, null);
                    try (ResultSet rs = st.executeQuery()) {
                        dead = rs.next() ? rs.getLong(1) : 0;
                    }
                }
                return new Stats(
                        depth.getOrDefault(key, 0L),
                        leasedPerFunction.getOrDefault(key, 0L),
                        oldest,
                        dead);
            } catch (SQLException e) {
                throw readFailure(e);
            }
        }
    }

    @Override
    public Map<String, Stats> allStats() {
        Map<String, Instant> oldest = new TreeMap<>();
        Map<String, Long> dead = new TreeMap<>();
        synchronized (reader) {
            try (Statement st = reader.createStatement()) {
                try (ResultSet rs =
                        st.executeQuery(
                                "SELECT service, function, MIN(created_at) FROM events"
                                        + " GROUP BY 1, 2")) {
                    while (rs.next()) {
                        oldest.put(
                                rs.getString(1) + "/" + rs.getString(2),
                                Instant.ofEpochMilli(rs.getLong(3)));
                    }
                }
                try (ResultSet rs =
                        st.executeQuery(
                                "SELECT service, function, COUNT(*) FROM dead_letters"
                                        + " GROUP BY 1, 2")) {
                    while (rs.next()) {
                        dead.put(rs.getString(1) + "/" + rs.getString(2), rs.getLong(3));
                    }
                }
            } catch (SQLException e) {
                throw readFailure(e);
            }
        }
        Set<String> keys = new TreeSet<>(oldest.keySet());
        keys.addAll(dead.keySet());
        keys.addAll(depth.keySet());
        Map<String, Stats> out = new TreeMap<>();
        for (String k : keys) {
            out.put(
                    k,
                    new Stats(
                            depth.getOrDefault(k, 0L),
                            leasedPerFunction.getOrDefault(k, 0L),
                            oldest.get(k),
                            dead.getOrDefault(k, 0L)));
        }
        return out;
    }

    @Override
    public Optional<Instant> lastMark(String key) {
        synchronized (reader) {
            try {
                return lastMark(key, reader);
            } catch (SQLException e) {
                throw readFailure(e);
            }
        }
    }

    private static Optional<Instant> lastMark(String key, Connection db) throws SQLException {
        try (PreparedStatement st =
                db.prepareStatement("SELECT scheduled_at FROM fire_marks WHERE key = ?")) {
            st.setString(1, key);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next()
                        ? Optional.of(Instant.ofEpochMilli(rs.getLong(1)))
                        : Optional.empty();
            }
        }
    }

    @Override
    public List<QueuedEvent> queued(String service, String function, int limit, long afterSeq) {
        synchronized (reader) {
            try (PreparedStatement st =
                    reader.prepareStatement(
                            "SELECT "
                                    + COLUMNS.replace("payload", "x'' AS payload")
                                    + " FROM events WHERE service = ? AND function = ?"
                                    + " AND seq > ? ORDER BY seq LIMIT ?")) {
                st.setString(1, service);
                st.setString(2, function);
                st.setLong(3, afterSeq);
                st.setInt(4, limit);
                List<QueuedEvent> out = new ArrayList<>();
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        out.add(read(rs, false));
                    }
                }
                return out;
            } catch (SQLException e) {
                throw readFailure(e);
            }
        }
    }

    @Override
    public Optional<QueuedEvent> queuedEvent(String service, String function, String requestId) {
        synchronized (reader) {
            try (PreparedStatement st =
                    reader.prepareStatement(
                            "SELECT "
                                    + COLUMNS
                                    + " FROM events WHERE service = ? AND function = ?"
                                    + " AND request_id = ?")) {
                bindFunction(st, service, function, requestId);
                try (ResultSet rs = st.executeQuery()) {
                    return rs.next() ? Optional.of(read(rs, true)) : Optional.empty();
                }
            } catch (SQLException e) {
                throw readFailure(e);
            }
        }
    }

    @Override
    public List<DeadLetter> deadLetters(
            String service, String function, int limit, long beforeSeq) {
        synchronized (reader) {
            try (PreparedStatement st =
                    reader.prepareStatement(
                            "SELECT seq, request_id, service, function, trigger, source,"
                                    + " x'' AS payload, created_at, dead_lettered_at, attempts,"
                                    + " reason, error_code, error_message FROM dead_letters"
                                    + " WHERE service = ? AND function = ? AND seq < ?"
                                    + " ORDER BY seq DESC LIMIT ?")) {
                st.setString(1, service);
                st.setString(2, function);
                st.setLong(3, beforeSeq <= 0 ? Long.MAX_VALUE : beforeSeq);
                st.setInt(4, limit);
                List<DeadLetter> out = new ArrayList<>();
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        out.add(readDeadLetter(rs));
                    }
                }
                return out;
            } catch (SQLException e) {
                throw readFailure(e);
            }
        }
    }

    @Override
    public Optional<DeadLetter> deadLetter(String service, String function, String requestId) {
        synchronized (reader) {
            try (PreparedStatement st =
                    reader.prepareStatement(
                            "SELECT seq, request_id, service, function, trigger, source,"
                                    + " payload, created_at, dead_lettered_at, attempts,"
                                    + " reason, error_code, error_message FROM dead_letters"
                                    + " WHERE service = ? AND function = ? AND request_id = ?")) {
                bindFunction(st, service, function, requestId);
                try (ResultSet rs = st.executeQuery()) {
                    return rs.next() ? Optional.of(readDeadLetter(rs)) : Optional.empty();
                }
            } catch (SQLException e) {
                throw readFailure(e);
            }
        }
    }

    private static QueuedEvent read(ResultSet rs, boolean withPayload) throws SQLException {
        byte[] payload = withPayload ? rs.getBytes("payload") : new byte[0];
        return new QueuedEvent(
                rs.getLong("seq"),
                rs.getString("request_id"),
                rs.getString("service"),
                rs.getString("function"),
                rs.getString("trigger"),
                rs.getString("source"),
                payload == null ? new byte[0] : payload,
                rs.getInt("depth"),
                Instant.ofEpochMilli(rs.getLong("created_at")),
                rs.getInt("attempts"),
                Instant.ofEpochMilli(rs.getLong("due_at")),
                rs.getString("last_error"),
                rs.getString("last_message"));
    }

    private static DeadLetter readDeadLetter(ResultSet rs) throws SQLException {
        byte[] payload = rs.getBytes("payload");
        return new DeadLetter(
                rs.getLong("seq"),
                rs.getString("request_id"),
                rs.getString("service"),
                rs.getString("function"),
                rs.getString("trigger"),
                rs.getString("source"),
                payload == null ? new byte[0] : payload,
                Instant.ofEpochMilli(rs.getLong("created_at")),
                Instant.ofEpochMilli(rs.getLong("dead_lettered_at")),
                rs.getInt("attempts"),
                rs.getString("reason"),
                rs.getString("error_code"),
                rs.getString("error_message"));
    }

    private static KilnException readFailure(SQLException e) {
        log.error("event queue read failed", e);
        return new KilnException(ErrorCode.INTERNAL, "the event queue could not be read");
    }

    @Override
    public void close() {
        closing = true;
        try {
            writerThread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (writerThread.isAlive()) {
            writerThread.interrupt();
        }
        try {
            writer.close();
        } catch (SQLException e) {
            log.warn("closing events.db failed: {}", e.toString());
        }
        synchronized (reader) {
            try {
                reader.close();
            } catch (SQLException e) {
                log.warn("closing events.db failed: {}", e.toString());
            }
        }
    }
}
