package dev.kiln.host.observability;

import static dev.kiln.host.observability.InvocationStoreTest.record;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.abi.GuestLogLine;
import dev.kiln.host.storage.SqliteFiles;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Records stored a chunk per function per batch (docs/adr/0069): listings, pages, lookups,
 * replacements and trims that cross chunks, as the writer forms them from real batches.
 */
class ChunkedRecordsTest {
    private static final Instant T0 = Instant.parse("2026-12-06T00:00:00Z");

    @TempDir Path data;

    private static InvocationRecord at(String id, int millis, String... logs) {
        return record(id, "f", T0.plusMillis(millis), logs);
    }

    private static List<String> ids(List<InvocationRecord> records) {
        return records.stream().map(InvocationRecord::requestId).toList();
    }

    private static void batch(InvocationStore store, InvocationRecord... records) {
        for (InvocationRecord r : records) {
            assertThat(store.submit(r)).isTrue();
        }
        store.flush();
    }

    @Test
    void aLongInvocationWrittenInALaterChunkStillListsByItsStart() {
        try (var store = InvocationStore.open(data, RecordRetention.DEFAULTS)) {
            batch(store, at("R10", 10), at("R11", 11), at("R12", 12));
            // Started before all of them, ended after: its chunk's newest record is R13.
            batch(store, at("R05", 5), at("R13", 13));
            assertThat(ids(store.list("svc", "f", 2, null))).containsExactly("R13", "R12");
            assertThat(ids(store.list("svc", "f", 10, null)))
                    .containsExactly("R13", "R12", "R11", "R10", "R05");
            assertThat(ids(store.list("svc", "f", 2, "R12"))).containsExactly("R11", "R10");
            assertThat(ids(store.list("svc", "f", 2, "R10"))).containsExactly("R05");
            assertThat(store.list("svc", "f", 2, "R05")).isEmpty();
            assertThat(store.list("svc", "f", 2, "NOT-STORED")).isEmpty();
            assertThat(store.get("svc", "f", "R05")).isPresent();
            assertThat(store.get("svc", "g", "R05")).isEmpty();
        }
    }

    @Test
    void anEventsNextAttemptLeavesTheOtherRecordsOfItsOldChunk() {
        try (var store = InvocationStore.open(data, RecordRetention.DEFAULTS)) {
            batch(
                    store,
                    at("X", 1),
                    record("E", "f", T0.plusMillis(2), 1, "first try"),
                    at("Y", 3, "y line"));
            batch(store, record("E", "f", T0.plusMillis(50), 2, "second try"));
            assertThat(ids(store.list("svc", "f", 10, null))).containsExactly("E", "Y", "X");
            var e = store.get("svc", "f", "E").orElseThrow();
            assertThat(e.attempt()).isEqualTo(2);
            assertThat(e.logs()).extracting(GuestLogLine::message).containsExactly("second try");
            assertThat(store.listWithLogCounts("svc", "f", 10, null))
                    .extracting(InvocationStore.Listed::logCount)
                    .containsExactly(1, 1, 0);
        }
    }

    @Test
    void twoAttemptsInOneBatchKeepTheLast() {
        try (var store = InvocationStore.open(data, RecordRetention.DEFAULTS)) {
            batch(
                    store,
                    record("E", "f", T0.plusMillis(1), 1, "one", "two"),
                    record("E", "f", T0.plusMillis(9), 2, "retried"));
            assertThat(store.list("svc", "f", 10, null))
                    .extracting(InvocationRecord::attempt)
                    .containsExactly(2);
            assertThat(store.get("svc", "f", "E").orElseThrow().logs())
                    .extracting(GuestLogLine::message)
                    .containsExactly("retried");
        }
    }

    @Test
    void aTrimTakesTheOlderPartOfAChunkThatStraddlesTheLimitWithItsLines() throws Exception {
        var retention =
                new RecordRetention(4, Duration.ofDays(3650), 1000, 100, Duration.ofMillis(10));
        try (var store = InvocationStore.open(data, retention)) {
            batch(store, at("A1", 1, "a1"), at("A2", 2, "a2"), at("A3", 3, "a3"));
            batch(store, at("B4", 4, "b4"), at("B5", 5), at("B0", 0, "b0"));
            store.prune();
            assertThat(ids(store.list("svc", "f", 10, null)))
                    .containsExactly("B5", "B4", "A3", "A2");
            assertThat(store.get("svc", "f", "A1")).isEmpty();
            assertThat(store.get("svc", "f", "A2").orElseThrow().logs()).hasSize(1);
            // The lines of A1 and B0 went with them.
            assertThat(InvocationStoreTest.lineCount(data)).isEqualTo(3);
        }
        // What is left reads the same after a restart.
        try (var store = InvocationStore.open(data, retention)) {
            assertThat(ids(store.list("svc", "f", 10, null)))
                    .containsExactly("B5", "B4", "A3", "A2");
        }
    }

    @Test
    void aChunkWrittenInAnyOrderListsAndTrimsByStartThenId() throws Exception {
        // As workers finish them: neither by start nor by id, with starts that tie.
        List<InvocationStore.Listed> written =
                Stream.of(
                                at("B", 5, "b"),
                                at("D", 7),
                                at("A", 5),
                                at("C", 9),
                                at("Z", 7, "z"),
                                at("Q", 3, "q"))
                        .map(r -> new InvocationStore.Listed(r, r.logs().size()))
                        .toList();
        try (Connection db =
                        SqliteFiles.open(data.resolve("chunks.db"), SqliteFiles.Durability.NORMAL);
                Statement st = db.createStatement();
                var chunks = new ChunkTable(db)) {
            ChunkTable.createTable(st);
            chunks.insert("svc", "f", written, "node-1");
            try (var rs =
                    st.executeQuery(
                            "SELECT newest_at, newest_id, oldest_at, oldest_id, min_id, max_id,"
                                    + " record_count, log_lines FROM invocation_chunks")) {
                long t0 = T0.toEpochMilli();
                assertThat(rs.getLong(1)).isEqualTo(t0 + 9);
                assertThat(rs.getString(2)).isEqualTo("C");
                assertThat(rs.getLong(3)).isEqualTo(t0 + 3);
                assertThat(rs.getString(4)).isEqualTo("Q");
                assertThat(rs.getString(5)).isEqualTo("A");
                assertThat(rs.getString(6)).isEqualTo("Z");
                assertThat(rs.getInt(7)).isEqualTo(6);
                assertThat(rs.getInt(8)).isEqualTo(3);
            }
            assertThat(chunks.newest("svc", "f", 10, null))
                    .extracting(l -> l.record().requestId())
                    .containsExactly("C", "Z", "D", "B", "A", "Q");
            assertThat(chunks.newest("svc", "f", 2, new RecordChunks.Key(t0Plus(7), "D")))
                    .extracting(l -> l.record().requestId())
                    .containsExactly("B", "A");
            RecordChunks.Key cut = chunks.firstBeyond("svc", "f", 4).orElseThrow();
            assertThat(cut).isEqualTo(new RecordChunks.Key(t0Plus(5), "A"));
            assertThat(chunks.removeUpTo("svc", "f", cut)).containsExactly("Q");
            assertThat(chunks.newest("svc", "f", 10, null))
                    .extracting(l -> l.record().requestId())
                    .containsExactly("C", "Z", "D", "B");
            assertThat(chunks.count("svc", "f")).isEqualTo(4);
        }
    }

    private static long t0Plus(int millis) {
        return T0.toEpochMilli() + millis;
    }

    @Test
    void manyFunctionsInOneBatchEachGetTheirOwnRecords() {
        try (var store = InvocationStore.open(data, RecordRetention.DEFAULTS)) {
            for (int i = 0; i < 300; i++) {
                String fn = "f" + (i % 7);
                assertThat(store.submit(record(String.format("M%04d", i), fn, T0.plusMillis(i))))
                        .isTrue();
            }
            store.flush();
            for (int f = 0; f < 7; f++) {
                String fn = "f" + f;
                List<InvocationRecord> listed = store.list("svc", fn, 1000, null);
                assertThat(listed).hasSize(f < 6 ? 43 : 42);
                assertThat(listed).extracting(InvocationRecord::function).containsOnly(fn);
                assertThat(listed.getFirst().requestId())
                        .isEqualTo(String.format("M%04d", 294 + f - (f < 6 ? 0 : 7)));
                assertThat(store.get("svc", fn, listed.getLast().requestId())).isPresent();
            }
        }
    }

    /**
     * A chunk writes the fields that usually repeat (version hash, trigger, outcome, start kind,
     * key) from the bytes of the record before when they match; a value that changes back and
     * forth, turns null, or needs escaping must still come back as it went in.
     */
    @Test
    void fieldsThatChangeFromRecordToRecordComeBackAsWritten() {
        String[] shas = {"aa", "aa", "bb", "aa", "bb"};
        String[] triggers = {"invoke", "http", "http", "event", "invoke"};
        String[] outcomes = {"ok", "ok", "timeout", "ok", "trap"};
        String[] kinds = {"warm", null, "pool", "pool", null};
        String[] keys = {null, "key-1", "key-1", "k\"ey\u00e9\n", "key-1"};
        try (var store = InvocationStore.open(data, RecordRetention.DEFAULTS)) {
            for (int i = 0; i < shas.length; i++) {
                assertThat(
                                store.submit(
                                        new InvocationRecord(
                                                "V" + i,
                                                "svc",
                                                "f",
                                                1 + i,
                                                shas[i],
                                                triggers[i],
                                                T0.plusMillis(i),
                                                42,
                                                outcomes[i],
                                                200,
                                                3,
                                                4,
                                                0,
                                                kinds[i],
                                                null,
                                                List.of(),
                                                false,
                                                0,
                                                64,
                                                keys[i],
                                                null,
                                                null,
                                                null)))
                        .isTrue();
            }
            store.flush();
            List<InvocationRecord> listed = store.list("svc", "f", 10, null).reversed();
            assertThat(listed).extracting(InvocationRecord::versionSha256).containsExactly(shas);
            assertThat(listed).extracting(InvocationRecord::trigger).containsExactly(triggers);
            assertThat(listed).extracting(InvocationRecord::outcome).containsExactly(outcomes);
            assertThat(listed).extracting(InvocationRecord::startKind).containsExactly(kinds);
            assertThat(listed).extracting(InvocationRecord::keyId).containsExactly(keys);
        }
    }

    @Test
    void rowsOfAnOlderFileMoveIntoChunksWithTheirLines() throws Exception {
        long now = System.currentTimeMillis();
        try (Connection db =
                        SqliteFiles.open(
                                data.resolve("records.db"), SqliteFiles.Durability.NORMAL);
                Statement st = db.createStatement()) {
            // A file from before schema versions: steps 1 to 6 run on it.
            InvocationStoreTest.createPreVersioningTables(st);
            for (int i = 0; i < 1130; i++) {
                String fn = i < 1100 ? "f" : "g";
                String id = String.format("O%05d", i);
                st.execute(
                        "INSERT INTO invocations VALUES ('"
                                + id
                                + "', 'svc', '"
                                + fn
                                + "', 1, 'sha', 'invoke', "
                                + (now + i)
                                + ", 1, 'ok', 200, 0, 0, "
                                + i
                                + ", 'cold', NULL, 0)");
                if (i % 100 == 0) {
                    st.execute(
                            "INSERT INTO invocation_logs VALUES ('"
                                    + id
                                    + "', 0, "
                                    + (now + i)
                                    + ", 'INFO', 'line "
                                    + i
                                    + "')");
                }
            }
        }
        var retention =
                new RecordRetention(5000, Duration.ofDays(1), 1000, 100, Duration.ofMillis(10));
        try (var store = InvocationStore.open(data, retention)) {
            List<InvocationRecord> f = store.list("svc", "f", 5000, null);
            assertThat(f).hasSize(1100);
            assertThat(f.getFirst().requestId()).isEqualTo("O01099");
            assertThat(f.getLast().requestId()).isEqualTo("O00000");
            assertThat(f)
                    .extracting(InvocationRecord::fuel)
                    .isSortedAccordingTo((a, b) -> Long.compare(b, a));
            assertThat(ids(store.list("svc", "g", 5000, null))).hasSize(30).startsWith("O01129");
            assertThat(store.get("svc", "f", "O00500").orElseThrow().logs())
                    .extracting(GuestLogLine::message)
                    .containsExactly("line 500");
            assertThat(store.recentLogs("svc", "g", 10))
                    .extracting(e -> e.line().message())
                    .containsExactly("line 1100");
            assertThat(store.recentLogs("svc", "f", 2))
                    .extracting(e -> e.line().message())
                    .containsExactly("line 900", "line 1000");
        }
        try (Connection db =
                        SqliteFiles.open(
                                data.resolve("records.db"), SqliteFiles.Durability.NORMAL);
                Statement st = db.createStatement();
                var rs =
                        st.executeQuery(
                                "SELECT COUNT(*), MAX(record_count) FROM invocation_chunks"
                                        + " WHERE function = 'f'")) {
            // 512 + 512 + 76
            assertThat(rs.getInt(1)).isEqualTo(3);
            assertThat(rs.getInt(2)).isEqualTo(512);
        }
    }
}
