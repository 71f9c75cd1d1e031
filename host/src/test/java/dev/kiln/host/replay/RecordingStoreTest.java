package dev.kiln.host.replay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.abi.Header;
import dev.kiln.abi.HttpRequestMeta;
import dev.kiln.host.storage.DiskSpace;
import dev.kiln.host.storage.SqliteFiles;
import dev.kiln.host.storage.SqliteSchema;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code recordings.db} on real files: the payload and result body in columns of their own, rows
 * written before them still read, and retention applied to a batch before it is written.
 */
class RecordingStoreTest {
    @TempDir Path data;

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static Recording recording(String requestId, long startedAt, byte[] payload) {
        return recording("orders", requestId, startedAt, payload);
    }

    /** A recording of {@code function} in service {@code shop}, as the tests here store them. */
    static Recording recording(String function, String requestId, long startedAt, byte[] payload) {
        return new Recording(
                requestId,
                "shop",
                function,
                1,
                "ab".repeat(32),
                "kiln",
                "kiln_handle",
                64,
                1000,
                5_000_000,
                "http",
                startedAt,
                startedAt + 1000,
                new HttpRequestMeta("POST", "/x", "", List.of(), "HTTP/1.1", "::1"),
                payload,
                List.of(),
                List.of(new JournalEntry.Clock("clock_unix_ns", 42)),
                new Recording.Result("ok", 200, List.of(new Header("x-b", "2")), b("out"), 7, null),
                null);
    }

    private RecordingStore open(int maxPerFunction) throws java.io.IOException {
        return RecordingStore.open(
                data, maxPerFunction, 1 << 20, SecretSeal.NONE, DiskSpace.of(data, 0));
    }

    @Test
    void aRowWrittenBeforeThePayloadColumnsStillReads() throws Exception {
        // recordings.db as the first schema made it: the whole recording in the JSON, base64.
        Recording old = recording("01OLD00000000000000000000A", 1_700_000_000_000L, b("old in"));
        try (Connection db =
                        SqliteFiles.open(
                                data.resolve(RecordingStore.FILE_NAME),
                                SqliteFiles.Durability.NORMAL);
                Statement st = db.createStatement()) {
            st.execute(
                    "CREATE TABLE recordings (request_id TEXT PRIMARY KEY, service TEXT NOT NULL,"
                            + " function TEXT NOT NULL, started_at INTEGER NOT NULL, outcome TEXT"
                            + " NOT NULL, bytes INTEGER NOT NULL, body BLOB NOT NULL)");
            st.execute(
                    "CREATE INDEX recordings_fn ON recordings"
                            + " (service, function, started_at DESC, request_id DESC)");
            st.execute("PRAGMA user_version = 1");
            byte[] json =
                    RecordingJson.write(old, RecordingJson.Secrets.SEALED, SecretSeal.NONE, null);
            try (PreparedStatement put =
                    db.prepareStatement("INSERT INTO recordings VALUES (?, ?, ?, ?, ?, ?, ?)")) {
                put.setString(1, old.requestId());
                put.setString(2, "shop");
                put.setString(3, "orders");
                put.setLong(4, old.startedAtMillis());
                put.setString(5, "ok");
                put.setLong(6, json.length);
                put.setBytes(7, json);
                put.executeUpdate();
            }
        }
        try (RecordingStore store = open(100)) {
            Recording newer = recording("01NEW00000000000000000000B", 1_700_000_001_000L, b(""));
            assertThat(store.submit(newer)).isTrue();
            Recording back = store.get("shop", "orders", old.requestId()).orElseThrow();
            assertThat(back.payload()).isEqualTo(b("old in"));
            assertThat(back.result().body()).isEqualTo(b("out"));
            assertThat(back.journal()).hasSize(1);
            // Looked for right after submitting: found once the writer has it written.
            Recording again = store.get("shop", "orders", newer.requestId()).orElseThrow();
            assertThat(again.payload()).isEmpty();
            assertThat(again.result().body()).isEqualTo(b("out"));
            assertThat(again.http()).isEqualTo(newer.http());
            assertThat(store.list("shop", "orders"))
                    .containsExactly(newer.requestId(), old.requestId());
        }
        try (Connection db =
                SqliteFiles.open(
                        data.resolve(RecordingStore.FILE_NAME), SqliteFiles.Durability.NORMAL)) {
            assertThat(SqliteSchema.version(db)).isEqualTo(2);
        }
    }

    @Test
    void recordingsBeyondTheBoundInOneBatchAreNeverWritten() throws Exception {
        List<String> ids = new ArrayList<>();
        try (RecordingStore store = open(3)) {
            for (int i = 0; i < 10; i++) {
                // Submitted newest last, but retention orders by start: the last three started
                // latest.
                String id = "01REQ000000000000000000%03d".formatted(i);
                ids.add(id);
                assertThat(store.submit(recording(id, 1_700_000_000_000L + i, b("in " + i))))
                        .isTrue();
            }
            store.flush();
            assertThat(store.list("shop", "orders"))
                    .containsExactly(ids.get(9), ids.get(8), ids.get(7));
            assertThat(store.written() + store.superseded()).isEqualTo(10);
            assertThat(store.get("shop", "orders", ids.get(8)).orElseThrow().payload())
                    .isEqualTo(b("in 8"));
            assertThat(store.get("shop", "orders", ids.get(2))).isEmpty();
        }
    }

    @Test
    void whatABusyFunctionHoldsBackIsWrittenWhenTheStoreCloses() throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            ids.add("01HOLD0000000000000000%04d".formatted(i));
        }
        try (RecordingStore store = open(3)) {
            for (int i = 0; i < 3; i++) { // the window's first three: written as they come
                store.submit(recording(ids.get(i), 1_700_000_000_000L + i, b("in " + i)));
            }
            store.flush();
            assertThat(store.written()).isEqualTo(3);
            for (int i = 3; i < 8; i++) { // beyond the bound within the window: held back
                store.submit(recording(ids.get(i), 1_700_000_000_000L + i, b("in " + i)));
            }
            long until = System.nanoTime() + 5_000_000_000L;
            while (store.superseded() < 2 && System.nanoTime() < until) {
                Thread.sleep(5);
            }
            assertThat(store.superseded()).isEqualTo(2);
            assertThat(store.written()).isEqualTo(3); // the newest three wait for the window's end
        }
        try (RecordingStore store = open(3)) {
            assertThat(store.list("shop", "orders"))
                    .containsExactly(ids.get(7), ids.get(6), ids.get(5));
            assertThat(store.get("shop", "orders", ids.get(7)).orElseThrow().payload())
                    .isEqualTo(b("in 7"));
        }
    }
}
