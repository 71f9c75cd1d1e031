package dev.kiln.host.replay;

import static dev.kiln.host.testing.TestHost.errorCode;
import static dev.kiln.host.testing.TestHost.json;
import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.host.cli.KilnCli;
import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.WasiCgiUpload;
import dev.kiln.host.testing.Wat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Recording and replay (docs/adr/0041) on a real host over real sockets, with guests written here
 * in WAT that read every nondeterministic input there is and put it in their output: a replay can
 * only come out identical if every answer was recorded and fed back.
 */
class ReplayTest {
    static final String SECRET = "s3cret-value-9f2c";

    /**
     * Reads the clocks, 16 random bytes, the deadline, kv_get and kv_increment of "visits", config
     * GREETING and the secret TOKEN, request header x-test and the request id, sets x-replay: yes,
     * and returns all of it followed by the payload; fails (guest_error) when the payload starts
     * with 'F'.
     */
    static final String EVERYTHING =
            """
            (module
              (import "kiln" "clock_unix_ns" (func $unix (result i64)))
              (import "kiln" "clock_monotonic_ns" (func $mono (result i64)))
              (import "kiln" "random_fill" (func $random (param i32 i32) (result i32)))
              (import "kiln" "deadline_ms" (func $deadline (result i64)))
              (import "kiln" "kv_get" (func $kv_get (param i32 i32 i32 i32) (result i32)))
              (import "kiln" "kv_increment" (func $kv_inc (param i32 i32 i64 i32) (result i32)))
              (import "kiln" "config_get" (func $config (param i32 i32 i32 i32) (result i32)))
              (import "kiln" "request_header"
                (func $header (param i32 i32 i32 i32 i32) (result i32)))
              (import "kiln" "context_get" (func $context (param i32 i32 i32) (result i32)))
              (import "kiln" "response_header_set"
                (func $set_header (param i32 i32 i32 i32) (result i32)))
              (import "kiln" "fail" (func $fail (param i32 i32) (result i32)))
              (memory (export "memory") 2)
              (data (i32.const 200) "visits")
              (data (i32.const 210) "GREETING")
              (data (i32.const 220) "TOKEN")
              (data (i32.const 230) "x-test")
              (data (i32.const 240) "x-replay")
              (data (i32.const 250) "yes")
              (data (i32.const 260) "requested failure")
              (global $heap (mut i32) (i32.const 8192))
              (func (export "kiln_alloc") (param $len i32) (result i32)
                (local $p i32)
                (local.set $p (global.get $heap))
                (global.set $heap (i32.add (global.get $heap) (local.get $len)))
                (local.get $p))
              (func (export "kiln_handle") (param $ptr i32) (param $len i32) (result i64)
                (i64.store (i32.const 1024) (call $unix))
                (i64.store (i32.const 1032) (call $mono))
                (drop (call $random (i32.const 1040) (i32.const 16)))
                (i64.store (i32.const 1056) (call $deadline))
                (i32.store (i32.const 1064)
                  (call $kv_get (i32.const 200) (i32.const 6) (i32.const 1068) (i32.const 32)))
                (i32.store (i32.const 1100)
                  (call $kv_inc (i32.const 200) (i32.const 6) (i64.const 1) (i32.const 1104)))
                (i32.store (i32.const 1112)
                  (call $config (i32.const 210) (i32.const 8) (i32.const 1116) (i32.const 64)))
                (i32.store (i32.const 1180)
                  (call $config (i32.const 220) (i32.const 5) (i32.const 1184) (i32.const 64)))
                (i32.store (i32.const 1248)
                  (call $header (i32.const 230) (i32.const 6) (i32.const 0)
                    (i32.const 1252) (i32.const 64)))
                (i32.store (i32.const 1316)
                  (call $context (i32.const 0) (i32.const 1320) (i32.const 32)))
                (drop (call $set_header (i32.const 240) (i32.const 8) (i32.const 250) (i32.const 3)))
                (memory.copy (i32.const 1352) (local.get $ptr) (local.get $len))
                (if (i32.and (i32.gt_u (local.get $len) (i32.const 0))
                             (i32.eq (i32.load8_u (local.get $ptr)) (i32.const 70)))
                  (then (drop (call $fail (i32.const 260) (i32.const 17)))))
                (i64.or (i64.shl (i64.const 1024) (i64.const 32))
                        (i64.extend_i32_u (i32.add (i32.const 328) (local.get $len))))))
            """;

    /** Returns a constant tag then the payload: two versions of it differ only in the tag. */
    static String tagged(String tag) {
        return """
        (module
          (import "kiln" "clock_unix_ns" (func $unix (result i64)))
          (memory (export "memory") 1)
          (data (i32.const 0) "TAG")
          (func (export "kiln_alloc") (param i32) (result i32) (i32.const 4096))
          (func (export "kiln_handle") (param $ptr i32) (param $len i32) (result i64)
            (i64.store (i32.const 8) (call $unix))
            (memory.copy (i32.const 16) (local.get $ptr) (local.get $len))
            (i64.extend_i32_u (i32.add (i32.const 16) (local.get $len)))))
        """
                .replace("TAG", tag);
    }

    /**
     * Nondeterministic on purpose, through state the recording does not hold: with isolation reuse
     * its invocations alternate between calling clock_unix_ns (odd) and random_fill (even). A
     * replay starts from a fresh instance, so the second invocation's replay asks the wrong call.
     */
    static final String ALTERNATING =
            """
            (module
              (import "kiln" "clock_unix_ns" (func $unix (result i64)))
              (import "kiln" "random_fill" (func $random (param i32 i32) (result i32)))
              (memory (export "memory") 1)
              (global $n (mut i32) (i32.const 0))
              (func (export "kiln_alloc") (param i32) (result i32) (i32.const 4096))
              (func (export "kiln_handle") (param i32 i32) (result i64)
                (global.set $n (i32.add (global.get $n) (i32.const 1)))
                (if (i32.and (global.get $n) (i32.const 1))
                  (then (i64.store (i32.const 0) (call $unix)))
                  (else (drop (call $random (i32.const 0) (i32.const 8)))))
                (i64.const 8)))
            """;

    /**
     * A wasi-cgi program that writes a CGI header, then both WASI clocks, 16 bytes of random_get,
     * the sum of a kv_increment of "hits", what it read from stdin and its whole environment.
     */
    static final String WASI_EVERYTHING =
            """
            (module
              (import "wasi_snapshot_preview1" "clock_time_get"
                (func $clock (param i32 i64 i32) (result i32)))
              (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "environ_sizes_get"
                (func $environ_sizes_get (param i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "environ_get"
                (func $environ_get (param i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "fd_write"
                (func $fd_write (param i32 i32 i32 i32) (result i32)))
              (import "kiln" "kv_increment" (func $kv_inc (param i32 i32 i64 i32) (result i32)))
              (memory (export "memory") 4)
              (data (i32.const 100) "Content-Type: application/octet-stream\\n\\n")
              (data (i32.const 160) "hits")
              (func $write (param $buf i32) (param $len i32)
                (i32.store (i32.const 16) (local.get $buf))
                (i32.store (i32.const 20) (local.get $len))
                (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24))))
              (func (export "_start")
                (call $write (i32.const 100) (i32.const 40))
                (drop (call $clock (i32.const 0) (i64.const 1) (i32.const 1024)))
                (drop (call $clock (i32.const 1) (i64.const 1) (i32.const 1032)))
                (drop (call $random (i32.const 1040) (i32.const 16)))
                (drop (call $kv_inc (i32.const 160) (i32.const 4) (i64.const 1) (i32.const 1056)))
                (call $write (i32.const 1024) (i32.const 40))
                (i32.store (i32.const 32) (i32.const 2048))
                (i32.store (i32.const 36) (i32.const 1024))
                (drop (call $fd_read (i32.const 0) (i32.const 32) (i32.const 1) (i32.const 40)))
                (call $write (i32.const 2048) (i32.load (i32.const 40)))
                (drop (call $environ_sizes_get (i32.const 0) (i32.const 4)))
                (drop (call $environ_get (i32.const 8192) (i32.const 65536)))
                (call $write (i32.const 65536) (i32.load (i32.const 4)))))
            """;

    @TempDir Path data;
    @TempDir Path elsewhere;
    TestHost kiln;

    @AfterEach
    void stop() {
        if (kiln != null) {
            kiln.close();
        }
    }

    private void start(Consumer<dev.kiln.host.config.KilnConfig.Builder> tweak) {
        kiln = TestHost.start(data, tweak);
    }

    private void deploy(String function, String wat) {
        var r = kiln.deploy("shop", function, Wat.compile(wat));
        assertThat(r.statusCode()).as(text(r)).isIn(200, 201);
    }

    private void patch(String function, String json) {
        var r = kiln.patch("shop", function, json);
        assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
    }

    private static String path(String function, String requestId, String tail) {
        return "/api/v1/services/shop/functions/" + function + "/invocations/" + requestId + tail;
    }

    private HttpResponse<byte[]> replay(String function, String requestId) {
        kiln.host().flushRecordings();
        return kiln.send(
                kiln.admin(path(function, requestId, "/replay"))
                        .POST(HttpRequest.BodyPublishers.noBody())
                        .build());
    }

    private JsonNode replayOk(String function, String requestId) {
        var r = replay(function, requestId);
        assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
        return json(r);
    }

    private static String id(HttpResponse<byte[]> r) {
        return r.headers().firstValue("X-Kiln-Request-Id").orElseThrow();
    }

    private HttpResponse<byte[]> httpCall(String function, String body) {
        return kiln.send(
                kiln.request("/fn/shop/" + function + "/orders?x=1")
                        .header("x-test", "header-value-42")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build());
    }

    private String kvValue(String key) {
        var r = kiln.get("/api/v1/services/shop/kv/" + key);
        assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
        return text(r);
    }

    private void setUpEverything(String record) {
        deploy("all", EVERYTHING);
        patch(
                "all",
                "{\"record\":\""
                        + record
                        + "\",\"env\":{\"GREETING\":\"hello-config\"},"
                        + "\"secrets\":{\"TOKEN\":\""
                        + SECRET
                        + "\"}}");
    }

    @Test
    void failuresAreRecordedByDefaultAndSuccessesAreNot() {
        start(b -> {});
        deploy("all", EVERYTHING);
        assertThat(json(kiln.get("/api/v1/services/shop/functions/all")).toString())
                .contains("\"record\":\"failures\"");
        var ok = kiln.invoke("shop", "all", "ok");
        assertThat(ok.statusCode()).isEqualTo(200);
        var failed = kiln.invoke("shop", "all", "Fail please");
        assertThat(failed.statusCode()).isEqualTo(500);

        var notRecorded = replay("all", id(ok));
        assertThat(notRecorded.statusCode()).isEqualTo(404);
        assertThat(errorCode(notRecorded)).isEqualTo("recording_not_found");

        JsonNode r = replayOk("all", id(failed));
        assertThat(r.path("identical").asBoolean()).as(r.toString()).isTrue();
        assertThat(r.path("replayed").path("outcome").asText()).isEqualTo("guest_error");
        assertThat(r.path("replayed").path("message").asText()).isEqualTo("requested failure");
        assertThat(r.path("replayed").path("fuel").asLong())
                .isEqualTo(r.path("recorded").path("fuel").asLong())
                .isPositive();
    }

    @Test
    void recordAllReplaysEveryInputIdenticallyWithoutTouchingTheStore() throws Exception {
        start(b -> {});
        setUpEverything("all");
        httpCall("all", "first"); // visits = 1
        var second = httpCall("all", "second");
        assertThat(second.statusCode()).as(text(second)).isEqualTo(200);
        assertThat(second.headers().firstValue("x-replay")).contains("yes");
        String body = text(second);
        assertThat(body).contains("hello-config", SECRET, "header-value-42", "second");
        assertThat(kvValue("visits")).isEqualTo("2");

        JsonNode r = replayOk("all", id(second));
        assertThat(r.path("identical").asBoolean()).as(r.toString()).isTrue();
        assertThat(r.path("differences").size()).isZero();
        assertThat(r.path("divergence").isNull()).isTrue();
        JsonNode replayed = r.path("replayed");
        assertThat(replayed.path("outcome").asText()).isEqualTo("ok");
        assertThat(replayed.path("status").asInt()).isEqualTo(200);
        assertThat(replayed.path("headers").toString()).contains("x-replay", "yes");
        assertThat(java.util.Base64.getDecoder().decode(replayed.path("outputBase64").asText()))
                .isEqualTo(second.body());
        // The replay fed the recorded kv answers: the store still says 2, and a second replay
        // is identical too.
        assertThat(kvValue("visits")).isEqualTo("2");
        assertThat(replayOk("all", id(second)).path("identical").asBoolean()).isTrue();
        assertThat(kvValue("visits")).isEqualTo("2");

        // The secret's value is sealed at rest: in no recording's JSON (the journal's config
        // answers). The guest's output, which here repeats it, is stored as it is, like payloads.
        kiln.host().flushRecordings();
        try (var db =
                        java.sql.DriverManager.getConnection(
                                "jdbc:sqlite:" + data.resolve("recordings.db"));
                var rows = db.createStatement().executeQuery("SELECT body FROM recordings")) {
            int n = 0;
            while (rows.next()) {
                n++;
                assertThat(new String(rows.getBytes(1), StandardCharsets.UTF_8))
                        .contains("\"sealed\"")
                        .doesNotContain(SECRET);
            }
            assertThat(n).isEqualTo(2);
        }
    }

    @Test
    void recordNoneKeepsNothing() {
        start(b -> {});
        setUpEverything("none");
        var failed = kiln.invoke("shop", "all", "Fail");
        assertThat(failed.statusCode()).isEqualTo(500);
        var r = replay("all", id(failed));
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(errorCode(r)).isEqualTo("recording_not_found");
    }

    @Test
    void aBadRecordSettingIsRefused() {
        start(b -> {});
        deploy("all", EVERYTHING);
        var r = kiln.patch("shop", "all", "{\"record\":\"sometimes\"}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(text(r)).contains("record must be none, failures or all");
    }

    @Test
    void replayRunsTheRecordedVersionAfterLatestMoved() {
        start(b -> {});
        deploy("tag", tagged("v1"));
        patch("tag", "{\"record\":\"all\"}");
        var first = kiln.invoke("shop", "tag", "payload");
        assertThat(text(first)).startsWith("v1");
        deploy("tag", tagged("v2"));
        assertThat(text(kiln.invoke("shop", "tag", "payload"))).startsWith("v2");

        JsonNode r = replayOk("tag", id(first));
        assertThat(r.path("identical").asBoolean()).as(r.toString()).isTrue();
        String out =
                new String(
                        java.util.Base64.getDecoder()
                                .decode(r.path("replayed").path("outputBase64").asText()),
                        StandardCharsets.UTF_8);
        assertThat(out).startsWith("v1");
    }

    @Test
    void aGuestThatDivergesEndsTheReplayWithAStableCode() {
        start(b -> {});
        deploy("alt", ALTERNATING);
        patch("alt", "{\"record\":\"all\",\"isolation\":\"reuse\",\"maxInstances\":1}");
        var first = kiln.invoke("shop", "alt", "");
        var second = kiln.invoke("shop", "alt", "");
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(second.statusCode()).isEqualTo(200);

        assertThat(replayOk("alt", id(first)).path("identical").asBoolean()).isTrue();
        JsonNode r = replayOk("alt", id(second));
        assertThat(r.path("identical").asBoolean()).isFalse();
        assertThat(r.path("divergence").path("code").asText()).isEqualTo("unexpected_call");
        assertThat(r.path("divergence").path("message").asText())
                .contains("random_fill", "clock_unix_ns");
        // The host still serves.
        assertThat(kiln.invoke("shop", "alt", "").statusCode()).isEqualTo(200);
        assertThat(kiln.get("/api/v1/limits").statusCode()).isEqualTo(200);
    }

    @Test
    void anExportReplaysOnAnotherMachineWithoutAServer() throws IOException {
        start(b -> {});
        setUpEverything("all");
        var call = httpCall("all", "exported");
        assertThat(call.statusCode()).isEqualTo(200);
        String requestId = id(call);
        kiln.host().flushRecordings();
        var asAdmin = kiln.get(path("all", requestId, "/recording"));
        assertThat(asAdmin.statusCode()).as(text(asAdmin)).isEqualTo(200);
        assertThat(text(asAdmin)).contains(SECRET, "\"module\"");
        String developer = kiln.createKey("dev", "developer", List.of("shop"));
        var asDeveloper =
                kiln.send(kiln.as(developer, path("all", requestId, "/recording")).GET().build());
        assertThat(asDeveloper.statusCode()).as(text(asDeveloper)).isEqualTo(200);
        assertThat(text(asDeveloper)).doesNotContain(SECRET).contains("\"redacted\":true");
        String viewer = kiln.createKey("view", "viewer", List.of("shop"));
        var asViewer =
                kiln.send(kiln.as(viewer, path("all", requestId, "/recording")).GET().build());
        assertThat(asViewer.statusCode()).isEqualTo(403);

        Path full = elsewhere.resolve("full.json");
        Path redacted = elsewhere.resolve("redacted.json");
        Files.write(full, asAdmin.body());
        Files.write(redacted, asDeveloper.body());
        // No server, no data directory: the host is gone and its data with it.
        kiln.close();
        kiln = null;
        deleteTree(data);

        Cli run = cli("replay", full.toString());
        assertThat(run.exit()).as(run.out()).isZero();
        assertThat(run.out()).contains("identical");
        Cli missing = cli("replay", redacted.toString());
        assertThat(missing.exit()).as(missing.out()).isEqualTo(1);
        assertThat(missing.out()).contains("different", "--secret");
        Cli supplied = cli("replay", redacted.toString(), "--secret", "TOKEN=" + SECRET);
        assertThat(supplied.exit()).as(supplied.out()).isZero();

        Path junk = elsewhere.resolve("junk.json");
        Files.writeString(junk, "{\"kilnRecording\": 99}");
        assertThat(cli("replay", junk.toString()).exit()).isEqualTo(2);
    }

    record Cli(int exit, String out) {}

    private static Cli cli(String... args) {
        PrintStream saved = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int exit;
        try (PrintStream p = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
            System.setOut(p);
            exit = new CommandLine(new KilnCli()).execute(args);
        } finally {
            System.setOut(saved);
        }
        return new Cli(exit, captured.toString(StandardCharsets.UTF_8));
    }

    @Test
    void storageIsBoundedPerFunctionOldestFirst() {
        start(b -> b.recordingsPerFunction(3));
        deploy("tag", tagged("v1"));
        patch("tag", "{\"record\":\"all\"}");
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(id(kiln.invoke("shop", "tag", "n" + i)));
            kiln.host().flushRecordings(); // one batch each: the bound holds batch by batch
        }
        assertThat(kiln.host().recordings().list("shop", "tag"))
                .containsExactly(ids.get(4), ids.get(3), ids.get(2));
        assertThat(errorCode(replay("tag", ids.get(0)))).isEqualTo("recording_not_found");
        assertThat(errorCode(replay("tag", ids.get(1)))).isEqualTo("recording_not_found");
        assertThat(replayOk("tag", ids.get(2)).path("identical").asBoolean()).isTrue();
        assertThat(
                        json(kiln.get("/api/v1/limits"))
                                .path("replay")
                                .path("recordingsPerFunction")
                                .asInt())
                .isEqualTo(3);
    }

    @Test
    void aRecordingOverItsSizeCapIsNotKept() {
        start(b -> b.maxRecordingBytes(4096));
        deploy("tag", tagged("v1"));
        patch("tag", "{\"record\":\"all\"}");
        var big = kiln.invoke("shop", "tag", "x".repeat(8000));
        assertThat(big.statusCode()).isEqualTo(200);
        var small = kiln.invoke("shop", "tag", "small");
        assertThat(errorCode(replay("tag", id(big)))).isEqualTo("recording_not_found");
        assertThat(replayOk("tag", id(small)).path("identical").asBoolean()).isTrue();
        assertThat(text(kiln.get("/metrics")))
                .contains("kiln_recordings_dropped_total{reason=\"too_large\"} 1");
    }

    @Test
    void wasiCgiInvocationsReplayIdentically() {
        start(b -> {});
        var d =
                WasiCgiUpload.deploy(
                        kiln,
                        "shop",
                        "cgi",
                        Wat.compile(WASI_EVERYTHING),
                        ",\"env\":{\"GREETING\":\"hello-env\"}");
        assertThat(d.statusCode()).as(text(d)).isEqualTo(201);
        patch("cgi", "{\"record\":\"all\",\"secrets\":{\"TOKEN\":\"" + SECRET + "\"}}");
        var call = httpCall("cgi", "stdin-bytes");
        assertThat(call.statusCode()).as(text(call)).isEqualTo(200);
        assertThat(text(call)).contains("stdin-bytes", "GREETING=hello-env", "TOKEN=" + SECRET);
        assertThat(kvValue("hits")).isEqualTo("1");

        JsonNode r = replayOk("cgi", id(call));
        assertThat(r.path("identical").asBoolean()).as(r.toString()).isTrue();
        assertThat(kvValue("hits")).isEqualTo("1");
    }

    @Test
    void unknownInvocationsAndFunctionsAreRefusedAndTheHostServesOn() {
        start(b -> {});
        deploy("tag", tagged("v1"));
        var r = replay("tag", "01HXXXXXXXXXXXXXXXXXXXXXXX");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(errorCode(r)).isEqualTo("recording_not_found");
        var noFunction = replay("nope", "01HXXXXXXXXXXXXXXXXXXXXXXX");
        assertThat(errorCode(noFunction)).isEqualTo("function_not_found");
        assertThat(kiln.invoke("shop", "tag", "still").statusCode()).isEqualTo(200);
    }

    private static void deleteTree(Path root) throws IOException {
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
