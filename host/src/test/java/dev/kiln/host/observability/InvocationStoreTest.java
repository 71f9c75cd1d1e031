package dev.kiln.host.observability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.abi.GuestLogLine;
import dev.kiln.abi.LogLevel;
import dev.kiln.host.storage.SqliteFiles;
import dev.kiln.host.storage.SqliteSchema;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InvocationStoreTest {
    @TempDir Path data;

    static InvocationRecord record(String id, String function, Instant at, String... logs) {
        return record(id, function, at, 0, logs);
    }

    static InvocationRecord record(
            String id, String function, Instant at, int attempt, String... logs) {
        return new InvocationRecord(
                id,
                "svc",
                function,
                1,
                "sha",
                "invoke",
                at,
                42,
                "ok",
                200,
                3,
                4,
                0,
                "warm",
                null,
                java.util.Arrays.stream(logs)
                        .map(m -> new GuestLogLine(at.toEpochMilli(), LogLevel.INFO, m))
                        .toList(),
                false,
                attempt);
    }

    /**
     * records.db's tables as Kiln wrote them before its schema was versioned (and before the
     * attempt column existed): every migration step runs on such a file.
     */
    static void createPreVersioningTables(Statement st) throws java.sql.SQLException {
        st.execute(
                "CREATE TABLE invocations (request_id TEXT PRIMARY KEY, service TEXT NOT NULL,"
                        + " function TEXT NOT NULL, version INTEGER NOT NULL,"
                        + " version_sha256 TEXT, trigger TEXT NOT NULL,"
                        + " started_at INTEGER NOT NULL, duration_us INTEGER NOT NULL,"
                        + " outcome TEXT NOT NULL, status INTEGER NOT NULL,"
                        + " bytes_in INTEGER NOT NULL, bytes_out INTEGER NOT NULL,"
                        + " fuel INTEGER NOT NULL, start_kind TEXT, error TEXT,"
                        + " log_truncated INTEGER NOT NULL)");
        st.execute(
                "CREATE TABLE invocation_logs (request_id TEXT NOT NULL, seq INTEGER NOT NULL,"
                        + " time INTEGER NOT NULL, level TEXT NOT NULL, message TEXT NOT NULL,"
                        + " PRIMARY KEY (request_id, seq))");
    }

    /** The log lines stored in the records.db of {@code data}. */
    static long lineCount(Path data) throws java.sql.SQLException, java.io.IOException {
        try (Connection db =
                        SqliteFiles.open(
                                data.resolve("records.db"), SqliteFiles.Durability.NORMAL);
                Statement st = db.createStatement();
                var rs = st.executeQuery("SELECT COUNT(*) FROM invocation_logs")) {
            return rs.getLong(1);
        }
    }

    @Test
    void recordsAreListedNewestFirstAndPaged() {
        Instant t0 = Instant.parse("2026-11-25T00:00:00Z");
        try (var store = InvocationStore.open(data, RecordRetention.DEFAULTS)) {
            for (int i = 0; i < 1000; i++) {
                String id = String.format("R%04d", i);
                assertThat(store.submit(record(id, "f", t0.plusMillis(i)))).isTrue();
            }
            store.flush();
            List<InvocationRecord> page1 = store.list("svc", "f", 10, null);
            assertThat(page1).extracting(InvocationRecord::requestId).startsWith("R0999", "R0998");
            List<InvocationRecord> page2 = store.list("svc", "f", 10, page1.get(9).requestId());
            assertThat(page2.get(0).requestId()).isEqualTo("R0989");
            assertThat(store.list("svc", "other", 10, null)).isEmpty();
        }
    }

    @Test
    void submitWaitingWaitsForRoomInsteadOfDropping() throws Exception {
        // Room for one record at a time, written one per transaction: submitters outrun the
        // writer all the time.
        var tiny = new RecordRetention(10_000, Duration.ofDays(1), 1, 1, Duration.ofMillis(10));
        Instant t0 = Instant.now();
        int perThread = 100;
        try (var store = InvocationStore.open(data, tiny)) {
            List<Thread> threads = new ArrayList<>();
            AtomicInteger refused = new AtomicInteger();
            for (int t = 0; t < 4; t++) {
                int base = t * perThread;
                Thread th =
                        new Thread(
                                () -> {
                                    for (int i = base; i < base + perThread; i++) {
                                        String id = String.format("W%04d", i);
                                        if (!store.submitWaiting(
                                                record(id, "f", t0.plusMillis(i)))) {
                                            refused.incrementAndGet();
                                        }
                                    }
                                });
                threads.add(th);
                th.start();
            }
            for (Thread th : threads) {
                th.join();
            }
            store.flush();
            assertThat(refused).hasValue(0);
            assertThat(store.dropped()).isZero();
            assertThat(store.list("svc", "f", 1000, null)).hasSize(4 * perThread);
        }
    }

    @Test
    void oneRecordComesWithItsLogsInOrderAndSurvivesReopening() {
        Instant now = Instant.now();
        try (var store = InvocationStore.open(data, RecordRetention.DEFAULTS)) {
            store.submit(record("A", "f", now, "first", "second", "third"));
        }
        try (var store = InvocationStore.open(data, RecordRetention.DEFAULTS)) {
            var r = store.get("svc", "f", "A").orElseThrow();
            assertThat(r.logs())
                    .extracting(GuestLogLine::message)
                    .containsExactly("first", "second", "third");
            assertThat(r.durationMicros()).isEqualTo(42);
            assertThat(store.get("svc", "other", "A")).isEmpty();
            assertThat(store.recentLogs("svc", "f", 2))
                    .extracting(e -> e.line().message())
                    .containsExactly("second", "third");
        }
    }

    @Test
    void anEventsNextAttemptReplacesTheRecordWithAllItsLogLines() {
        Instant now = Instant.now();
        InvocationRecord first = record("E", "f", now, 1, "one", "two", "three");
        InvocationRecord second = record("E", "f", now.plusMillis(5), 2, "retried");
        try (var store = InvocationStore.open(data, RecordRetention.DEFAULTS)) {
            store.submit(first);
            store.flush();
            store.submit(second);
            store.flush();
            var r = store.get("svc", "f", "E").orElseThrow();
            assertThat(r.attempt()).isEqualTo(2);
            assertThat(r.logs()).extracting(GuestLogLine::message).containsExactly("retried");
        }
    }

    @Test
    void retentionKeepsTheNewestPerFunctionAndDropsOldOnes() {
        var retention =
                new RecordRetention(5, Duration.ofDays(1), 1000, 100, Duration.ofMillis(10));
        Instant now = Instant.now();
        try (var store = InvocationStore.open(data, retention)) {
            store.submit(record("OLD", "g", now.minus(Duration.ofDays(2)), "old log"));
            for (int i = 0; i < 12; i++) {
                store.submit(record(String.format("N%02d", i), "f", now.plusMillis(i), "l" + i));
            }
            store.flush();
            store.prune();
            assertThat(store.list("svc", "f", 100, null))
                    .extracting(InvocationRecord::requestId)
                    .containsExactly("N11", "N10", "N09", "N08", "N07");
            assertThat(store.list("svc", "g", 100, null)).isEmpty();
            assertThat(store.get("svc", "f", "N00")).isEmpty();
        }
    }

    @Test
    void aBusyStoreIsPrunedByVolumeBeforeItsMinuteIsUp() throws Exception {
        var retention =
                new RecordRetention(5, Duration.ofDays(1), 1000, 512, Duration.ofMillis(10));
        try (var store = InvocationStore.open(data, retention)) {
            // The first prune runs as the writer starts; the next by the clock only in a minute.
            Instant now = Instant.now();
            int n = RecordBatchSql.PRUNE_AFTER_RECORDS + 10;
            for (int i = 0; i < n; i++) {
                String id = String.format("V%06d", i);
                assertThat(store.submitWaiting(record(id, "f", now.plusMillis(i), "line")))
                        .isTrue();
            }
            store.flush();
            // The prune by volume runs when the writer is next idle after the threshold: the ten
            // records past it may be written before it or after (then they stay until the next
            // prune), so up to 5 + 10 records are left, never the 20 000 before them.
            int slack = n - RecordBatchSql.PRUNE_AFTER_RECORDS;
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (store.list("svc", "f", 100, null).size() > 5 + slack
                    && System.nanoTime() < deadline) {
                store.flush();
            }
            List<InvocationRecord> left = store.list("svc", "f", 100, null);
            assertThat(left).hasSizeBetween(5, 5 + slack);
            assertThat(left.subList(0, 5))
                    .extracting(InvocationRecord::requestId)
                    .containsExactly(
                            String.format("V%06d", n - 1),
                            String.format("V%06d", n - 2),
                            String.format("V%06d", n - 3),
                            String.format("V%06d", n - 4),
                            String.format("V%06d", n - 5));
            assertThat(store.get("svc", "f", String.format("V%06d", n - 5 - slack - 1))).isEmpty();
            assertThat(store.dropped()).isZero();
            // The pruned records' log lines went with them.
            assertThat(lineCount(data)).isEqualTo(left.size());
        }
    }

    /**
     * records.db checkpoints every {@link RecordRows#CHECKPOINT_PAGES} WAL pages, not SQLite's
     * 1000: its write-ahead log stays a few hundred KB where the default lets it reach ~4 MB, each
     * checkpoint being that much shorter a stretch of the writer (docs/adr/0073).
     */
    @Test
    void recordsDbCheckpointsItsWriteAheadLogOftenSoItStaysSmall() throws Exception {
        try (var store = InvocationStore.open(data, RecordRetention.DEFAULTS)) {
            Instant now = Instant.now();
            // ~12 MB of records: three times what SQLite's default interval lets the log hold.
            for (int i = 0; i < 60_000; i++) {
                String id = String.format("W%06d", i);
                assertThat(store.submitWaiting(record(id, "f", now.plusMillis(i)))).isTrue();
            }
            store.flush();
            assertThat(store.dropped()).isZero();
            // The log's file keeps its largest size (SQLite writes it again from the start after
            // a checkpoint; closing the store removes it): the pages between two checkpoints plus
            // one batch's, 4 KiB each.
            long wal = java.nio.file.Files.size(data.resolve("records.db-wal"));
            assertThat(wal).isPositive().isLessThan(1024 * 1024);
        }
    }

    /**
     * A function deleted while its last records wait for the writer (which lingers for more) loses
     * its usage series for good: the records are written before the series go, not after.
     */
    @Test
    void forgettingAFunctionWritesItsQueuedRecordsBeforeDroppingItsUsageSeries() {
        var retention =
                new RecordRetention(1000, Duration.ofDays(1), 100, 50, Duration.ofSeconds(5));
        Metrics metrics = new Metrics();
        try (var store = InvocationStore.open(data, retention)) {
            store.registerMetrics(metrics);
            assertThat(store.submit(record("Q1", "f", Instant.now()))).isTrue();
            assertThat(store.submit(record("Q2", "g", Instant.now()))).isTrue();
            store.forget("svc", "f");
            store.flush();
            assertThat(store.get("svc", "f", "Q1")).isPresent();
            assertThat(metrics.scrape())
                    .doesNotContain("function=\"f\"")
                    .contains("kiln_usage_invocations_total{service=\"svc\",function=\"g\"} 1");
        }
    }

    @Test
    void aFullQueueDropsAndCountsWithoutBlockingAndUsageStillCountsEveryInvocation() {
        var retention = new RecordRetention(1000, Duration.ofDays(1), 4, 2, Duration.ofSeconds(5));
        Metrics metrics = new Metrics();
        Instant start = Instant.now();
        try (var store = InvocationStore.open(data, retention)) {
            store.registerMetrics(metrics);
            int accepted = 0;
            long began = System.nanoTime();
            for (int i = 0; i < 5_000; i++) {
                if (store.submit(record("X" + i, "f", Instant.now()))) {
                    accepted++;
                }
            }
            long elapsedMs = (System.nanoTime() - began) / 1_000_000;
            long dropped = 5_000L - accepted;
            assertThat(store.dropped()).isEqualTo(dropped).isPositive();
            assertThat(elapsedMs).isLessThan(5_000);
            store.flush();
            assertThat(metrics.scrape())
                    .contains("kiln_records_dropped_total{reason=\"queue_full\"} " + dropped)
                    .contains("kiln_records_dropped_total{reason=\"disk_low\"} 0")
                    .contains("kiln_usage_invocations_total{service=\"svc\",function=\"f\"} 5000");
            // History gave way, billing did not: every invocation is in usage, with its bytes.
            var usage =
                    store.usage(
                            new UsageQuery(
                                    start.minus(Duration.ofHours(1)),
                                    Instant.now().plus(Duration.ofHours(1)),
                                    UsageQuery.Granularity.DAY,
                                    UsageQuery.GroupBy.FUNCTION,
                                    "svc",
                                    null,
                                    s -> true));
            // (one row, or two when the run crosses midnight)
            UsageAmounts sum =
                    usage.stream()
                            .map(UsageRow::amounts)
                            .reduce(UsageAmounts.ZERO, UsageAmounts::plus);
            assertThat(sum.invocations()).isEqualTo(5_000);
            assertThat(sum.bytesIn()).isEqualTo(3 * 5_000);
            assertThat(sum.billedMs()).isEqualTo(5_000);
        }
    }

    @Test
    void aRecordsFileFromBeforeVersioningGainsTheAttemptColumn() throws Exception {
        try (Connection db =
                        SqliteFiles.open(
                                data.resolve("records.db"), SqliteFiles.Durability.NORMAL);
                Statement st = db.createStatement()) {
            createPreVersioningTables(st);
            // Started now: older than maxAge, the writer's first prune would delete it.
            st.execute(
                    "INSERT INTO invocations VALUES ('old', 'svc', 'f', 1, 'sha', 'invoke', "
                            + System.currentTimeMillis()
                            + ", 1, 'ok', 200, 0, 0, 0, 'cold', NULL, 0)");
            // Its log lines, and one of a record no longer stored.
            st.execute(
                    "INSERT INTO invocation_logs VALUES ('old', 0, 1, 'INFO', 'one'),"
                            + " ('old', 1, 2, 'WARN', 'two'), ('gone', 0, 1, 'INFO', 'orphan')");
        }
        try (var store = InvocationStore.open(data, RecordRetention.DEFAULTS)) {
            var old = store.get("svc", "f", "old").orElseThrow();
            assertThat(old.attempt()).isZero();
            // Step 2 (docs/adr/0043): what it was metered with, unknown for old rows.
            assertThat(old.memoryMiB()).isZero();
            assertThat(old.keyId()).isNull();
            // Step 3 (docs/adr/0047): no trace for old rows.
            assertThat(old.traceId()).isNull();
            // Step 4 (docs/adr/0057): not read from a cluster's records stream yet.
            assertThat(store.replicated("KILN_RECORDS").position()).isZero();
            // Steps 5 and 6 (docs/adr/0063, 0069): the rows moved to a table clustered by request
            // id, then into chunks.
            assertThat(store.list("svc", "f", 10, null))
                    .extracting(InvocationRecord::requestId)
                    .containsExactly("old");
            // Step 6 (docs/adr/0069): its lines came along, named by function.
            assertThat(old.logs()).extracting(GuestLogLine::message).containsExactly("one", "two");
            assertThat(store.listWithLogCounts("svc", "f", 10, null))
                    .extracting(InvocationStore.Listed::logCount)
                    .containsExactly(2);
            assertThat(store.recentLogs("svc", "f", 10))
                    .extracting(e -> e.line().message())
                    .containsExactly("one", "two");
        }
        try (Connection db =
                        SqliteFiles.open(
                                data.resolve("records.db"), SqliteFiles.Durability.NORMAL);
                Statement st = db.createStatement();
                var rs =
                        st.executeQuery(
                                "SELECT type FROM sqlite_master WHERE name = 'invocations'")) {
            assertThat(SqliteSchema.version(db)).isEqualTo(6);
            // What was the table is a view over the chunks, still read by SQL.
            assertThat(rs.getString(1)).isEqualTo("view");
            try (var row =
                    st.executeQuery(
                            "SELECT request_id, version, started_at, log_truncated, key_id"
                                    + " FROM invocations")) {
                assertThat(row.next()).isTrue();
                assertThat(row.getString(1)).isEqualTo("old");
                assertThat(row.getInt(2)).isEqualTo(1);
                assertThat(row.getLong(3)).isPositive();
                assertThat(row.getInt(4)).isZero();
                assertThat(row.getString(5)).isNull();
                assertThat(row.next()).isFalse();
            }
            try (var lines = st.executeQuery("SELECT COUNT(*) FROM invocation_logs")) {
                assertThat(lines.getLong(1)).isEqualTo(2);
            }
        }
    }

    @Test
    void recordsOfOtherNodesAreStoredWithTheirPositionAndNotHandedOnAgain() throws Exception {
        Instant now = Instant.now();
        String origin;
        List<String> handed = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (var store = InvocationStore.open(data, RecordRetention.DEFAULTS)) {
            var fresh = store.replicated("S");
            assertThat(fresh.position()).isZero();
            origin = fresh.origin();
            store.replicateTo("here", records -> records.forEach(r -> handed.add(r.requestId())));
            assertThat(
                            store.ingest(
                                    List.of(record("theirs", "f", now, "a line").onNode("there")),
                                    "S",
                                    7))
                    .isTrue();
            store.submit(record("own", "f", now));
            store.flush();
            // only this node's own records go on to the cluster
            assertThat(handed).containsExactly("own");
            assertThat(store.replicated("S")).isEqualTo(new ReplicationPosition(origin, 7));
            assertThat(store.replicated("other stream").position()).isZero();
            assertThat(store.get("svc", "f", "theirs").orElseThrow().logs()).hasSize(1);
            // each record names the node that ran it
            assertThat(store.get("svc", "f", "theirs").orElseThrow().node()).isEqualTo("there");
            assertThat(store.get("svc", "f", "own").orElseThrow().node()).isEqualTo("here");
            assertThat(store.list("svc", "f", 10, null)).hasSize(2);
        }
        try (var store = InvocationStore.open(data, RecordRetention.DEFAULTS)) {
            // the same file keeps its origin and position
            assertThat(store.replicated("S")).isEqualTo(new ReplicationPosition(origin, 7));
        }
        try (var store = InvocationStore.open(data.resolve("fresh"), RecordRetention.DEFAULTS)) {
            // a new file is a new origin: it reads even what its node published before
            assertThat(store.replicated("S").origin()).isNotEqualTo(origin);
        }
    }
}
