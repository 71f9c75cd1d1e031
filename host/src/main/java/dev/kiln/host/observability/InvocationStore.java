package dev.kiln.host.observability;

import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.FaultPoint;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.storage.CoreYield;
import dev.kiln.host.storage.DiskSpace;
import dev.kiln.host.storage.GroupCommitWriter;
import dev.kiln.host.storage.Sql;
import dev.kiln.host.storage.SqliteFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Invocation records and guest logs in {@code records.db}. Submitting never touches disk: one
 * writer thread ({@link GroupCommitWriter}) drains a bounded queue and writes batches in single
 * transactions. {@link #submit} never blocks and drops a record when the queue is full; {@link
 * #submitWaiting} waits for room. A dropped record's usage is still counted ({@link ShedRecords}).
 */
public final class InvocationStore implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(InvocationStore.class);
    private static final long PRUNE_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);
    // As long as a flush waits: past it the writer is stuck, and waiting longer helps no one.
    static final Duration MAX_SUBMIT_WAIT = Duration.ofSeconds(30);

    /** Test seam: throws in the writer while it writes a batch (ADR 0030). */
    static final FaultPoint FAULTS = new FaultPoint();

    private static final long STATS_PERSIST_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final Connection db;
    private final RecordRetention retention;
    private final ObservabilityLimits limits;
    private final FunctionStats stats;
    private final LogFeed logFeed;
    private final UsageMetrics usageMetrics = new UsageMetrics();
    private long lastStatsPersist = System.nanoTime(); // writer thread only
    private final RecordWriteSpans writeSpans = new RecordWriteSpans();

    private final RecordBatchSql batchSql; // guarded by db
    private volatile RecordReplication replication = records -> {};
    private volatile String node; // this node's name in a cluster, null on one node
    private final DiskSpace space;
    private boolean diskWasLow; // touched by the writer thread only
    private final ShedRecords shed = new ShedRecords();
    private final AtomicLong failedBatches = new AtomicLong();
    private final GroupCommitWriter<Queued> writer;
    private long lastPrune = System.nanoTime() - PRUNE_INTERVAL_NANOS; // writer thread only

    /** What waits for the writer: a record, or a flush marker. */
    private sealed interface Queued {}

    private record Pending(InvocationRecord record) implements Queued {}

    /** A queue marker: the writer counts it down once everything before it is written. */
    private record FlushMarker(CountDownLatch done) implements Queued {}

    private InvocationStore(
            Connection db, RecordRetention retention, DiskSpace space, ObservabilityLimits limits) {
        this.db = db;
        this.retention = retention;
        this.limits = limits;
        this.stats = new FunctionStats(db);
        this.batchSql = new RecordBatchSql(db);
        this.logFeed = new LogFeed(limits.maxLogFollowers());
        this.space = space;
        this.writer =
                new GroupCommitWriter<>(
                        "kiln-record-writer",
                        retention.queueCapacity(),
                        retention.maxBatch(),
                        retention.flushInterval(),
                        retention.linger(),
                        new Batches());
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
        return open(dataDir, retention, space, ObservabilityLimits.DEFAULTS);
    }

    /**
     * Like {@link #open(Path, RecordRetention, DiskSpace)}, with the retention of statistics and
     * usage and the log follower limit (docs/adr/0043). Usage lives in {@code records.db} because
     * it is written in the records' own transaction; a corrupt file moved aside takes it along.
     */
    public static InvocationStore open(
            Path dataDir, RecordRetention retention, DiskSpace space, ObservabilityLimits limits) {
        Path file = dataDir.resolve("records.db");
        try {
            try {
                return new InvocationStore(RecordRows.open(file), retention, space, limits);
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
                return new InvocationStore(RecordRows.open(file), retention, space, limits);
            }
        } catch (SQLException | java.io.IOException e) {
            throw new IllegalStateException("cannot open records.db in " + dataDir, e);
        }
    }

    /** Queues {@code record}; returns false (and counts it) when the queue is full. */
    public boolean submit(InvocationRecord record) {
        if (!writer.offer(new Pending(record))) {
            shed.shed(List.of(record), ShedRecords.Reason.QUEUE_FULL);
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
            if (writer.offer(new Pending(record), MAX_SUBMIT_WAIT)) {
                return true;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        var reason =
                writer.isRunning() ? ShedRecords.Reason.QUEUE_FULL : ShedRecords.Reason.CLOSING;
        shed.shed(List.of(record), reason);
        return false;
    }

    /**
     * Records dropped: the queue full, the disk below its free-space floor, a failed write, or
     * closing ({@code kiln_records_dropped_total} by reason).
     */
    public long dropped() {
        return shed.total();
    }

    /** Batches that could not be written (their records are lost; the writer carries on). */
    public long failedBatches() {
        return failedBatches.get();
    }

    /** Blocks until everything submitted before this call is written. */
    public void flush() {
        if (!writer.isRunning()) {
            return;
        }
        var marker = new FlushMarker(new CountDownLatch(1));
        try {
            if (writer.offerHurried(marker, MAX_SUBMIT_WAIT)
                    && !marker.done().await(MAX_SUBMIT_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
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
        return listWithLogCounts(service, function, limit, beforeRequestId).stream()
                .map(Listed::record)
                .toList();
    }

    /** A record of a list (its log lines not read) and how many log lines it has. */
    public record Listed(InvocationRecord record, int logCount) {}

    /**
     * The newest records first (before {@code beforeRequestId}'s, when given), each with the count
     * of its log lines (an index range of invocation_logs' primary key), so a list tells which
     * invocations logged without reading their lines.
     */
    public List<Listed> listWithLogCounts(
            String service, String function, int limit, String beforeRequestId) {
        synchronized (db) {
            try {
                RecordChunks.Key before = null;
                if (beforeRequestId != null) {
                    Optional<Listed> cursor =
                            batchSql.chunks().find(service, function, beforeRequestId);
                    if (cursor.isEmpty()) {
                        return List.of();
                    }
                    before = RecordChunks.Key.of(cursor.get().record());
                }
                return batchSql.chunks().newest(service, function, limit, before);
            } catch (SQLException e) {
                throw failure(e);
            }
        }
    }

    /** One record with its log lines in order. */
    public Optional<InvocationRecord> get(String service, String function, String requestId) {
        synchronized (db) {
            try {
                Optional<Listed> found = batchSql.chunks().find(service, function, requestId);
                if (found.isEmpty()) {
                    return Optional.empty();
                }
                return Optional.of(found.get().record().withLogs(RecordRows.logsOf(db, requestId)));
            } catch (SQLException e) {
                throw failure(e);
            }
        }
    }

    /** The newest {@code limit} log lines of a function, oldest first. */
    public List<LogEntry> recentLogs(String service, String function, int limit) {
        synchronized (db) {
            try {
                return RecordRows.recentLogs(db, service, function, limit);
            } catch (SQLException e) {
                throw failure(e);
            }
        }
    }

    /** Usage sums (docs/adr/0043); exactly the records written, grouped as asked. */
    public List<UsageRow> usage(UsageQuery query) {
        synchronized (db) {
            try {
                return UsageLedger.query(db, query);
            } catch (SQLException e) {
                throw failure(e);
            }
        }
    }

    /**
     * One function's statistics in steps of {@code step} (whole minutes) over {@code [from, to)};
     * at most {@link FunctionStats#MAX_POINTS} steps.
     */
    public List<StatsPoint> stats(
            String service, String function, Instant from, Instant to, Duration step) {
        synchronized (db) {
            try {
                return stats.query(
                        service, function, from.toEpochMilli(), to.toEpochMilli(), step.toMillis());
            } catch (SQLException e) {
                throw failure(e);
            }
        }
    }

    /** A follower's subscription and the stored lines it gets first (oldest first). */
    public record Follow(LogFeed.Subscription subscription, List<LogEntry> backlog) {}

    /**
     * Starts following one function's log lines. With {@code filter.since()}, the newest {@code
     * backlogLimit} stored lines since then come back to be sent first; the subscription and that
     * read happen under the writer's lock, so every line is either in the backlog or published to
     * the follower, never both, never neither.
     *
     * @throws KilnException {@code server_busy} at {@code maxLogFollowers}
     */
    public Follow follow(
            String service,
            String function,
            LogFilter filter,
            int backlogLimit,
            LogFeed.Follower follower) {
        synchronized (db) {
            LogFeed.Subscription s = logFeed.subscribe(service, function, filter, follower);
            if (filter.since() == null) {
                return new Follow(s, List.of());
            }
            try {
                return new Follow(
                        s, RecordRows.logsSince(db, service, function, filter, backlogLimit));
            } catch (SQLException | RuntimeException e) {
                s.close();
                throw e instanceof SQLException sql ? failure(sql) : (RuntimeException) e;
            }
        }
    }

    /** Log followers connected now. */
    public int logFollowers() {
        return logFeed.followers();
    }

    /** The retention of statistics and usage and the follower limit this store runs with. */
    public ObservabilityLimits limits() {
        return limits;
    }

    /**
     * Registers the usage counters ({@code kiln_usage_*}, one series per function) and the gauges
     * of log followers and open statistics windows.
     */
    public void registerMetrics(Metrics metrics) {
        usageMetrics.register(metrics);
        shed.register(metrics);
        metrics.gauge(
                "kiln_log_followers",
                "Log streams (logs?follow=true) open now; at most maxLogFollowers.",
                List.of(),
                sink -> sink.add(logFeed.followers()));
    }

    /**
     * Drops a deleted function's usage counters (its stored usage and statistics stay), after its
     * queued records: committed later, the function's last invocations would bring them back.
     */
    public void forget(String service, String function) {
        flush();
        usageMetrics.forget(service, function);
    }

    @Override
    public void close() {
        writer.close(MAX_SUBMIT_WAIT);
        synchronized (db) {
            try {
                // The open minutes, so that statistics survive a restart.
                stats.persist(System.currentTimeMillis(), true);
            } catch (SQLException e) {
                log.warn("writing function statistics failed: {}", e.toString());
            }
            try {
                batchSql.close();
                db.close();
            } catch (SQLException e) {
                log.warn("closing records.db failed: {}", e.toString());
            }
        }
    }

    /** What the writer thread does with a batch. */
    private final class Batches implements GroupCommitWriter.Sink<Queued> {
        @Override
        public void write(List<Queued> batch) {
            try {
                FAULTS.pass();
                writeRecords(batch);
            } finally {
                releaseFlushes(batch);
            }
        }

        @Override
        public void failed(List<Queued> batch, Throwable cause) {
            // Nothing a batch throws may kill the only writer (ADR 0030): count (the writer
            // logs it), go on.
            failedBatches.incrementAndGet();
            shed.shed(pending(batch), ShedRecords.Reason.WRITE_FAILED);
            releaseFlushes(batch);
        }

        @Override
        public void abandoned(List<Queued> left) {
            shed.shed(pending(left), ShedRecords.Reason.CLOSING);
            releaseFlushes(left);
        }

        @Override
        public void idle() {
            shed.logIfDue();
            if (System.nanoTime() - lastStatsPersist >= STATS_PERSIST_INTERVAL_NANOS
                    || stats.crowded()) {
                persistStats(stats.crowded());
                lastStatsPersist = System.nanoTime();
            }
            // Prune on a clock, so maxAge holds while the store is idle too, and by volume.
            if (System.nanoTime() - lastPrune >= PRUNE_INTERVAL_NANOS) {
                prune();
                lastPrune = System.nanoTime();
            } else if (batchSql.trimDue()) {
                pruneWritten();
            }
        }

        private static void releaseFlushes(List<Queued> batch) {
            for (Queued q : batch) {
                if (q instanceof FlushMarker m) {
                    m.done().countDown();
                }
            }
        }
    }

    private void persistStats(boolean all) {
        synchronized (db) {
            try {
                stats.persist(System.currentTimeMillis(), all);
            } catch (SQLException e) {
                log.error("writing function statistics failed", e);
            }
        }
    }

    /**
     * Makes a {@code record write} span for each traced record this store writes from now on: a
     * child of the invocation's span, covering the batch's transaction (docs/adr/0047).
     */
    public void traceWrites(Tracing tracing) {
        writeSpans.use(tracing);
    }

    /** Names this node's records {@code node}; hands each committed batch to {@code sink}. */
    public void replicateTo(String node, RecordReplication sink) {
        this.node = java.util.Objects.requireNonNull(node);
        this.replication = java.util.Objects.requireNonNull(sink);
    }

    /**
     * Stores records another node ran, read from {@code source} up to {@code position}, as the
     * writer stores its own: records, log lines, usage and the position in one transaction (so a
     * record read again counts once), then statistics and log followers; not {@code kiln_usage_*}.
     *
     * @return false if they could not be stored (logged; the position is not advanced)
     */
    public boolean ingest(List<InvocationRecord> records, String source, long position) {
        if (!writer.isRunning()) {
            return false; // closing
        }
        if (space.low()) {
            shed.count(records.size(), ShedRecords.Reason.DISK_LOW); // their node keeps the usage
            records = List.of(); // history gives way first; the position still advances
        }
        List<InvocationRecord> in = records;
        synchronized (db) {
            try {
                Sql.inTransaction(
                        db,
                        () -> {
                            batchSql.insert(in, null, UsageLedger.sums(in));
                            batchSql.position(source, position);
                        });
            } catch (SQLException e) {
                failedBatches.incrementAndGet();
                log.error("storing {} records of other nodes failed", in.size(), e);
                return false;
            }
            try {
                stats.add(in);
                logFeed.publish(in);
            } catch (RuntimeException e) {
                log.error("counting {} records of other nodes failed", in.size(), e);
            }
            return true;
        }
    }

    /**
     * This {@code records.db}'s id among the cluster's copies of records (records published under
     * it are its own: reading them back would count them twice) and how far {@code source} was read
     * by {@link #ingest} (0: not yet).
     */
    public ReplicationPosition replicated(String source) {
        synchronized (db) {
            try {
                return new ReplicationPosition(batchSql.origin(), batchSql.position(source));
            } catch (SQLException e) {
                throw failure(e);
            }
        }
    }

    private static List<InvocationRecord> pending(List<Queued> batch) {
        List<InvocationRecord> records = new java.util.ArrayList<>(batch.size());
        for (Queued q : batch) {
            if (q instanceof Pending(InvocationRecord r)) {
                records.add(r);
            }
        }
        return records;
    }

    private void writeRecords(List<Queued> batch) {
        long began = System.nanoTime();
        List<InvocationRecord> written = pending(batch);
        if (space.low()) {
            // History gives way first: the room left is for queued events and uploads.
            shed.shed(written, ShedRecords.Reason.DISK_LOW);
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
        // The batch's usage and that of records shed since the last one, in one transaction.
        var usage = UsageLedger.sums(written);
        shed.take().forEach((k, a) -> usage.merge(k, a, UsageAmounts::plus));
        synchronized (db) {
            try {
                Sql.inTransaction(db, () -> batchSql.insert(written, node, usage));
            } catch (SQLException | RuntimeException e) {
                failedBatches.incrementAndGet();
                shed.keep(usage);
                shed.count(written.size(), ShedRecords.Reason.WRITE_FAILED);
                log.error("writing {} invocation records failed", written.size(), e);
                return;
            }
            // Committed. Still under the lock, so that a follower's backlog read (also under it)
            // sees each batch either stored or published to it, never both.
            CoreYield.now();
            try {
                stats.add(written);
                usageMetrics.add(usage);
                logFeed.publish(written);
            } catch (RuntimeException e) {
                log.error("counting {} written invocation records failed", written.size(), e);
            }
            writeSpans.written(written, began);
        }
        if (!written.isEmpty()) {
            try {
                replication.committed(written);
            } catch (RuntimeException e) {
                log.error("handing {} records to replication failed", written.size(), e);
            }
        }
    }

    private void pruneWritten() {
        synchronized (db) {
            try {
                Sql.inTransaction(db, () -> batchSql.pruneWritten(retention.maxPerFunction()));
            } catch (SQLException e) {
                log.error("pruning invocation records failed", e);
            }
        }
    }

    /** Keeps at most maxPerFunction records per function and none older than maxAge. */
    void prune() {
        long cutoff = Instant.now().minus(retention.maxAge()).toEpochMilli();
        synchronized (db) {
            try {
                Sql.inTransaction(db, () -> batchSql.prune(cutoff, retention.maxPerFunction()));
                Instant now = Instant.now();
                stats.prune(now, limits.statsRetention());
                UsageLedger.prune(db, now, limits.usageRetention());
            } catch (SQLException e) {
                log.error("pruning invocation records failed", e);
            }
        }
    }

    private static KilnException failure(SQLException e) {
        log.error("records storage failure", e);
        return new KilnException(ErrorCode.INTERNAL, "invocation records could not be read");
    }
}
