package dev.kiln.host.kv;

import static dev.kiln.host.testing.TestHost.errorCode;
import static dev.kiln.host.testing.TestHost.json;
import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.WasiCgiUpload;
import dev.kiln.host.testing.Wat;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The key-value store per service (docs/adr/0039, wasm-abi/ABI.md 4.12) through real guests over
 * real sockets: {@code kv_probe.wat} runs one kv_* call per export, chosen by the handler setting.
 * The contract of every {@link KvStore}: {@code cluster.ClusterKeyValueTest} runs these tests on a
 * cluster node too ({@link #startHost}).
 */
public class KeyValueTest {
    protected static final int MAX_KEYS = 50;

    @TempDir protected Path data;
    protected TestHost kiln;

    @AfterEach
    void stop() {
        if (kiln != null) {
            kiln.close();
        }
    }

    /** The host under test, with these key-value limits; a subclass may start another kind. */
    protected TestHost startHost(Path dataDir, KvLimits limits) {
        return TestHost.start(dataDir, b -> b.kvLimits(limits));
    }

    private void start() {
        kiln = startHost(data, new KvLimits(MAX_KEYS, KvLimits.DEFAULT_MAX_BYTES_PER_SERVICE));
    }

    private void deployProbe(String service, String op) {
        deployProbe(kiln, service, op);
    }

    /** Deploys {@code kv_probe.wat} as function {@code op} running the probe of that name. */
    public static void deployProbe(TestHost node, String service, String op) {
        var r = node.deploy(service, op, Wat.fixture("kv_probe"));
        assertThat(r.statusCode()).as(text(r)).isEqualTo(201);
        if (!op.equals("counter")) {
            var p = node.patch(service, op, "{\"handler\":\"" + op + "\"}");
            assertThat(p.statusCode()).as(text(p)).isEqualTo(200);
        }
    }

    /** The call's return code and what followed it. */
    public record Result(int rc, byte[] rest, HttpResponse<byte[]> response) {
        public long sum() {
            return ByteBuffer.wrap(rest).order(ByteOrder.LITTLE_ENDIAN).getLong();
        }

        public String text() {
            return new String(rest, StandardCharsets.UTF_8);
        }
    }

    private Result call(String service, String op, byte[] payload) {
        return call(kiln, service, op, payload);
    }

    /** Invokes a probe on {@code node}: its call's return code and what followed. */
    public static Result call(TestHost node, String service, String op, byte[] payload) {
        var r = node.invoke(service, op, payload);
        assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
        ByteBuffer b = ByteBuffer.wrap(r.body()).order(ByteOrder.LITTLE_ENDIAN);
        int rc = b.getInt();
        return new Result(rc, Arrays.copyOfRange(r.body(), 4, r.body().length), r);
    }

    public static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    public static byte[] setPayload(byte[] key, byte[] value, long ttlMs) {
        return ByteBuffer.allocate(9 + key.length + value.length)
                .order(ByteOrder.LITTLE_ENDIAN)
                .put((byte) key.length)
                .putLong(ttlMs)
                .put(key)
                .put(value)
                .array();
    }

    public static byte[] casPayload(String key, String expected, String value) {
        byte[] k = utf8(key);
        byte[] e = expected == null ? new byte[0] : utf8(expected);
        byte[] v = utf8(value);
        return ByteBuffer.allocate(5 + k.length + e.length + v.length)
                .order(ByteOrder.LITTLE_ENDIAN)
                .put((byte) k.length)
                .putInt(expected == null ? -1 : e.length)
                .put(k)
                .put(e)
                .put(v)
                .array();
    }

    public static byte[] listPayload(String prefix, String after) {
        byte[] p = utf8(prefix);
        byte[] a = utf8(after);
        return ByteBuffer.allocate(1 + p.length + a.length)
                .put((byte) p.length)
                .put(p)
                .put(a)
                .array();
    }

    public static List<String> keys(byte[] page) {
        List<String> out = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(page).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            byte[] k = new byte[Short.toUnsignedInt(b.getShort())];
            b.get(k);
            out.add(new String(k, StandardCharsets.UTF_8));
        }
        return out;
    }

    @Test
    void concurrentIncrementsOverRealSocketsAreAtomic() throws Exception {
        start();
        deployProbe("shop", "counter");
        int clients = 8;
        int each = 25;
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<List<Long>>> futures = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                futures.add(
                        pool.submit(
                                () -> {
                                    List<Long> seen = new ArrayList<>();
                                    for (int i = 0; i < each; i++) {
                                        Result r = call("shop", "counter", utf8("hits"));
                                        assertThat(r.rc()).isZero();
                                        seen.add(r.sum());
                                    }
                                    return seen;
                                }));
            }
            List<Long> all = new ArrayList<>();
            for (var f : futures) {
                all.addAll(f.get(120, TimeUnit.SECONDS));
            }
            // Every increment saw a different sum: none was lost or applied twice.
            assertThat(all).doesNotHaveDuplicates().hasSize(clients * each);
            assertThat(all.stream().mapToLong(Long::longValue).max().orElseThrow())
                    .isEqualTo((long) clients * each);
        } finally {
            pool.shutdownNow();
        }
        var stored = kiln.get("/api/v1/services/shop/kv/hits");
        assertThat(stored.statusCode()).isEqualTo(200);
        assertThat(text(stored)).isEqualTo(String.valueOf(clients * each));
        // Another service has its own store.
        deployProbe("other", "counter");
        assertThat(call("other", "counter", utf8("hits")).sum()).isEqualTo(1);
    }

    @Test
    void setGetDeleteListAndCompareAndSwapFromAGuest() {
        start();
        for (String op : List.of("set", "get", "del", "list", "cas")) {
            deployProbe("shop", op);
        }
        assertThat(call("shop", "get", utf8("cart/1")).rc()).isEqualTo(-1);
        assertThat(call("shop", "set", setPayload(utf8("cart/1"), utf8("apple"), 0)).rc()).isZero();
        Result got = call("shop", "get", utf8("cart/1"));
        assertThat(got.rc()).isEqualTo(5);
        assertThat(got.text()).isEqualTo("apple");
        for (String k : List.of("cart/2", "cart/3", "user/1")) {
            assertThat(call("shop", "set", setPayload(utf8(k), utf8("x"), 0)).rc()).isZero();
        }
        Result page = call("shop", "list", listPayload("cart/", ""));
        assertThat(keys(page.rest())).containsExactly("cart/1", "cart/2", "cart/3");
        assertThat(keys(call("shop", "list", listPayload("cart/", "cart/2")).rest()))
                .containsExactly("cart/3");
        assertThat(keys(call("shop", "list", listPayload("", "")).rest())).hasSize(4);

        assertThat(call("shop", "cas", casPayload("lock", null, "a")).rc()).isZero();
        assertThat(call("shop", "cas", casPayload("lock", null, "b")).rc()).isEqualTo(-4);
        assertThat(call("shop", "cas", casPayload("lock", "x", "b")).rc()).isEqualTo(-4);
        assertThat(call("shop", "cas", casPayload("lock", "a", "b")).rc()).isZero();
        assertThat(call("shop", "get", utf8("lock")).text()).isEqualTo("b");

        assertThat(call("shop", "del", utf8("cart/1")).rc()).isZero();
        assertThat(call("shop", "del", utf8("cart/1")).rc()).isEqualTo(-1);
        assertThat(call("shop", "get", utf8("cart/1")).rc()).isEqualTo(-1);
    }

    @Test
    void aKeyWithATtlExpires() throws Exception {
        start();
        deployProbe("shop", "set");
        deployProbe("shop", "get");
        assertThat(call("shop", "set", setPayload(utf8("session"), utf8("s1"), 300)).rc()).isZero();
        assertThat(call("shop", "get", utf8("session")).text()).isEqualTo("s1");
        var admin = kiln.get("/api/v1/services/shop/kv/session");
        assertThat(admin.headers().firstValue("X-Kiln-Kv-Expires-At")).isPresent();
        // Bounded polling: gone within a generous bound, never before its TTL was set.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        int rc = 0;
        while (System.nanoTime() < deadline) {
            rc = call("shop", "get", utf8("session")).rc();
            if (rc == -1) {
                break;
            }
            Thread.sleep(50);
        }
        assertThat(rc).isEqualTo(-1);
        assertThat(errorCode(kiln.get("/api/v1/services/shop/kv/session")))
                .isEqualTo("kv_key_not_found");
    }

    @Test
    void limitsAreRefusedWithStableCodesAndTheHostStillServes() {
        start();
        for (String op : List.of("set", "get", "counter")) {
            deployProbe("shop", op);
        }
        byte[] longKey = utf8("k".repeat(257));
        // Keys of exactly 256 bytes are fine, 257 are over the limit (the probe's set frames
        // keys with one byte, so these go through kv_increment and kv_get, which take the payload).
        assertThat(call("shop", "counter", utf8("k".repeat(256))).rc()).isZero();
        assertThat(call("shop", "get", longKey).rc()).isEqualTo(-3);
        assertThat(call("shop", "counter", longKey).rc()).isEqualTo(-3);
        byte[] big = new byte[1024 * 1024 + 1];
        assertThat(call("shop", "set", setPayload(utf8("big"), big, 0)).rc()).isEqualTo(-3);
        assertThat(
                        call(
                                        "shop",
                                        "set",
                                        setPayload(
                                                utf8("big"), Arrays.copyOf(big, big.length - 1), 0))
                                .rc())
                .isZero();
        assertThat(call("shop", "get", utf8("")).rc()).isEqualTo(-2);
        assertThat(call("shop", "get", new byte[] {'a', 0, 'b'}).rc()).isEqualTo(-2);
        assertThat(call("shop", "get", new byte[] {(byte) 0xC3}).rc()).isEqualTo(-2);
        assertThat(call("shop", "set", setPayload(utf8("neg"), utf8("v"), -1)).rc()).isEqualTo(-2);
        // kv_increment of a value that is not an integer: -2, and the value stays.
        assertThat(call("shop", "set", setPayload(utf8("word"), utf8("hello"), 0)).rc()).isZero();
        assertThat(call("shop", "counter", utf8("word")).rc()).isEqualTo(-2);
        assertThat(call("shop", "get", utf8("word")).text()).isEqualTo("hello");
        // The key count: 3 stored (the 256-byte key, big, word); fill up to MAX_KEYS.
        assertThat(kiln.host().kv().usage("shop").keys()).isEqualTo(3);
        for (int i = 3; i < MAX_KEYS; i++) {
            assertThat(call("shop", "set", setPayload(utf8("fill" + i), utf8("v"), 0)).rc())
                    .isZero();
        }
        assertThat(call("shop", "set", setPayload(utf8("one-more"), utf8("v"), 0)).rc())
                .isEqualTo(-3);
        // Replacing an existing key still works at the limit.
        assertThat(call("shop", "set", setPayload(utf8("fill3"), utf8("w"), 0)).rc()).isZero();
        assertThat(kiln.host().kv().usage("shop").keys()).isEqualTo(MAX_KEYS);
        // The admin API is held to the same limit.
        var put =
                kiln.send(
                        kiln.admin("/api/v1/services/shop/kv/one-more")
                                .PUT(HttpRequest.BodyPublishers.ofString("v"))
                                .build());
        assertThat(errorCode(put)).isEqualTo("conflict");
        // The host still serves, and another service is not affected.
        assertThat(call("shop", "get", utf8("fill3")).text()).isEqualTo("w");
        deployProbe("other", "counter");
        assertThat(call("other", "counter", utf8("n")).rc()).isZero();
    }

    @Test
    void badPointersAreAbiViolations() {
        start();
        deployProbe("shop", "bad_pointer");
        deployProbe("shop", "bad_buffer");
        deployProbe("shop", "init_rc");
        deployProbe("shop", "counter");
        var r = kiln.invoke("shop", "bad_pointer", new byte[0]);
        assertThat(r.statusCode()).isEqualTo(500);
        assertThat(errorCode(r)).isEqualTo("abi_violation");
        var b = kiln.invoke("shop", "bad_buffer", utf8("missing"));
        assertThat(errorCode(b)).isEqualTo("abi_violation");
        // kiln_init ran outside an invocation: kv_get was unavailable there.
        assertThat(call("shop", "init_rc", new byte[0]).rc()).isEqualTo(-5);
        assertThat(call("shop", "counter", utf8("after")).sum()).isEqualTo(1);
    }

    @Test
    void valuesSurviveARestart() {
        start();
        deployProbe("shop", "counter");
        assertThat(call("shop", "counter", utf8("visits")).sum()).isEqualTo(1);
        assertThat(call("shop", "counter", utf8("visits")).sum()).isEqualTo(2);
        kiln.close();
        start();
        assertThat(call("shop", "counter", utf8("visits")).sum()).isEqualTo(3);
        assertThat(kiln.host().kv().usage("shop").keys()).isEqualTo(1);
    }

    /** Writes distinct keys until the store refuses; returns [stored, last return code]. */
    static final String STORM =
            """
            (module
              (import "kiln" "kv_set" (func $set (param i32 i32 i32 i32 i64) (result i32)))
              (memory (export "memory") 1)
              (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
              (func (export "kiln_handle") (param i32 i32) (result i64)
                (local $i i32) (local $rc i32) (local $ok i32)
                (i32.store8 (i32.const 0) (i32.const 107))
                (block $done
                  (loop $next
                    (i32.store8 (i32.const 1) (i32.add (i32.const 97) (i32.rem_u (local.get $i) (i32.const 26))))
                    (i32.store8 (i32.const 2) (i32.add (i32.const 97) (i32.rem_u (i32.div_u (local.get $i) (i32.const 26)) (i32.const 26))))
                    (i32.store8 (i32.const 3) (i32.add (i32.const 97) (i32.rem_u (i32.div_u (local.get $i) (i32.const 676)) (i32.const 26))))
                    (local.set $rc (call $set (i32.const 0) (i32.const 4) (i32.const 0) (i32.const 512) (i64.const 0)))
                    (br_if $done (i32.ne (local.get $rc) (i32.const 0)))
                    (local.set $ok (i32.add (local.get $ok) (i32.const 1)))
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (br_if $next (i32.lt_u (local.get $i) (i32.const 17576)))))
                (i32.store (i32.const 16) (local.get $ok))
                (i32.store (i32.const 20) (local.get $rc))
                (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 8))))
            """;

    @Test
    void aWriteStormIsBoundedByTheServiceKeyLimit() throws Exception {
        start();
        assertThat(kiln.deploy("storm", "writer", Wat.compile(STORM)).statusCode()).isEqualTo(201);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<HttpResponse<byte[]>>> runs = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                runs.add(pool.submit(() -> kiln.invoke("storm", "writer", new byte[0])));
            }
            for (var f : runs) {
                var r = f.get(120, TimeUnit.SECONDS);
                assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
                ByteBuffer b = ByteBuffer.wrap(r.body()).order(ByteOrder.LITTLE_ENDIAN);
                int stored = b.getInt();
                assertThat(stored).isLessThanOrEqualTo(MAX_KEYS);
                assertThat(b.getInt()).isEqualTo(-3);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(kiln.host().kv().usage("storm").keys()).isEqualTo(MAX_KEYS);
        var list = json(kiln.get("/api/v1/services/storm/kv?limit=1000"));
        assertThat(list.path("keys")).hasSize(MAX_KEYS);
        deployProbe("shop", "counter");
        assertThat(call("shop", "counter", utf8("still")).sum()).isEqualTo(1);
    }

    @Test
    void kvCallsChargeFuelByTheBytesTheyMove() {
        start();
        deployProbe("shop", "set");
        long small = fuel(call("shop", "set", setPayload(utf8("a"), new byte[16], 0)).response());
        long large =
                fuel(call("shop", "set", setPayload(utf8("a"), new byte[80_016], 0)).response());
        assertThat(large - small).isGreaterThanOrEqualTo(80_000 / 8);
    }

    private static long fuel(HttpResponse<byte[]> r) {
        return Long.parseLong(r.headers().firstValue("X-Kiln-Fuel").orElseThrow());
    }

    @Test
    void theAdminApiReadsWritesListsAndDeletesKeys() {
        start();
        for (String k : List.of("a/1", "a/2", "a/3", "b/1")) {
            var put =
                    kiln.send(
                            kiln.admin("/api/v1/services/shop/kv/" + k.replace("/", "%2F"))
                                    .PUT(HttpRequest.BodyPublishers.ofString("v-" + k))
                                    .build());
            assertThat(put.statusCode()).as(text(put)).isEqualTo(204);
        }
        assertThat(text(kiln.get("/api/v1/services/shop/kv/a%2F2"))).isEqualTo("v-a/2");
        var first = json(kiln.get("/api/v1/services/shop/kv?prefix=a/&limit=2"));
        assertThat(first.path("keys")).hasSize(2);
        assertThat(first.path("keys").get(0).path("key").asText()).isEqualTo("a/1");
        assertThat(first.path("next").asText()).isEqualTo("a/2");
        var second = json(kiln.get("/api/v1/services/shop/kv?prefix=a/&limit=2&after=a/2"));
        assertThat(second.path("keys")).hasSize(1);
        assertThat(second.path("next").isNull()).isTrue();
        var del = kiln.send(kiln.admin("/api/v1/services/shop/kv/a%2F1").DELETE().build());
        assertThat(del.statusCode()).isEqualTo(204);
        assertThat(
                        errorCode(
                                kiln.send(
                                        kiln.admin("/api/v1/services/shop/kv/a%2F1")
                                                .DELETE()
                                                .build())))
                .isEqualTo("kv_key_not_found");
        assertThat(errorCode(kiln.get("/api/v1/services/shop/kv/a%2F1")))
                .isEqualTo("kv_key_not_found");
        assertThat(errorCode(kiln.get("/api/v1/services/shop/kv?limit=0")))
                .isEqualTo("bad_request");
        var tooBig =
                kiln.send(
                        kiln.admin("/api/v1/services/shop/kv/big")
                                .PUT(
                                        HttpRequest.BodyPublishers.ofByteArray(
                                                new byte[1024 * 1024 + 1]))
                                .build());
        assertThat(errorCode(tooBig)).isEqualTo("payload_too_large");
        // A viewer of the service reads but does not write; a key of another service neither.
        String viewer = kiln.createKey("v", "viewer", List.of("shop"));
        assertThat(
                        kiln.send(kiln.as(viewer, "/api/v1/services/shop/kv/b%2F1").GET().build())
                                .statusCode())
                .isEqualTo(200);
        var refused =
                kiln.send(
                        kiln.as(viewer, "/api/v1/services/shop/kv/b%2F1")
                                .PUT(HttpRequest.BodyPublishers.ofString("x"))
                                .build());
        assertThat(errorCode(refused)).isEqualTo("forbidden");
        String other = kiln.createKey("o", "developer", List.of("other"));
        assertThat(errorCode(kiln.send(kiln.as(other, "/api/v1/services/shop/kv").GET().build())))
                .isEqualTo("forbidden");
    }

    /** A wasi-cgi command that increments "cgi-hits" with kiln.kv_increment and prints nothing. */
    static final String CGI_COUNTER =
            """
            (module
              (import "kiln" "kv_increment" (func $incr (param i32 i32 i64 i32) (result i32)))
              (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
              (memory (export "memory") 1)
              (data (i32.const 0) "cgi-hits")
              (func (export "_start")
                (if (i32.ne (call $incr (i32.const 0) (i32.const 8) (i64.const 1) (i32.const 64)) (i32.const 0))
                  (then (call $exit (i32.const 3))))))
            """;

    @Test
    void aWasiCgiGuestReachesTheSameStore() {
        start();
        var r = WasiCgiUpload.deploy(kiln, "shop", "cgi", Wat.compile(CGI_COUNTER));
        assertThat(r.statusCode()).as(text(r)).isEqualTo(201);
        for (int i = 0; i < 3; i++) {
            var inv = kiln.invoke("shop", "cgi", new byte[0]);
            assertThat(inv.statusCode()).as(text(inv)).isEqualTo(200);
        }
        assertThat(text(kiln.get("/api/v1/services/shop/kv/cgi-hits"))).isEqualTo("3");
        // Other kiln functions stay closed to wasi-cgi guests.
        String logImport =
                CGI_COUNTER
                        .replace(
                                "\"kv_increment\" (func $incr (param i32 i32 i64 i32) (result"
                                        + " i32))",
                                "\"log\" (func $incr (param i32 i32 i32) (result i32))")
                        .replace("(i64.const 1) (i32.const 64)", "(i32.const 1)");
        var refused = WasiCgiUpload.deploy(kiln, "shop", "cgi2", Wat.compile(logImport));
        assertThat(errorCode(refused)).isEqualTo("invalid_module");
    }
}
