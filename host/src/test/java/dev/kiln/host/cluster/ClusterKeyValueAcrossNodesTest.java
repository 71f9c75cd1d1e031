package dev.kiln.host.cluster;

import static dev.kiln.host.kv.KeyValueTest.call;
import static dev.kiln.host.kv.KeyValueTest.casPayload;
import static dev.kiln.host.kv.KeyValueTest.deployProbe;
import static dev.kiln.host.kv.KeyValueTest.keys;
import static dev.kiln.host.kv.KeyValueTest.listPayload;
import static dev.kiln.host.kv.KeyValueTest.setPayload;
import static dev.kiln.host.kv.KeyValueTest.utf8;
import static dev.kiln.host.testing.TestHost.errorCode;
import static dev.kiln.host.testing.TestHost.json;
import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.kv.KeyValueTest.Result;
import dev.kiln.host.kv.KvLimits;
import dev.kiln.host.testing.Closing;
import dev.kiln.host.testing.NatsServers;
import dev.kiln.host.testing.TestHost;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two Kiln nodes on a three-server JetStream cluster (the {@code kiln-kv} bucket R3) share each
 * service's key-value store (docs/adr/0055): one counter, one set of keys, one compare-and-swap,
 * one expiry and one limit, whichever node a guest or an operator reaches. Each test uses a service
 * of its own.
 */
class ClusterKeyValueAcrossNodesTest {
    static final int MAX_KEYS = 20;

    @TempDir static Path dir;
    static NatsServers nats;
    static TestHost a;
    static TestHost b;

    @BeforeAll
    static void start() throws Exception {
        nats = NatsServers.start(Files.createDirectories(dir.resolve("nats")), 3);
        a = node("a");
        b = node("b");
    }

    static TestHost node(String name) {
        return TestHost.start(
                dir.resolve("node-" + name),
                c ->
                        c.kvLimits(new KvLimits(MAX_KEYS, KvLimits.DEFAULT_MAX_BYTES_PER_SERVICE))
                                .cluster(nats.settings("zone-1", name)));
    }

    @AfterAll
    static void stop() {
        Closing.all(a, b, nats);
    }

    static String kvPath(String service, String key) {
        return "/api/v1/services/"
                + service
                + "/kv/"
                + URLEncoder.encode(key, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static HttpResponse<byte[]> adminPut(TestHost node, String service, String key, String v) {
        return node.send(
                node.admin(kvPath(service, key))
                        .PUT(HttpRequest.BodyPublishers.ofString(v))
                        .build());
    }

    @Test
    void aCounterIncrementedThroughBothNodesAtOnceEndsAtTheExactTotal() throws Exception {
        deployProbe(a, "hits", "counter");
        int clientsPerNode = 3;
        int each = 20;
        ExecutorService pool = Executors.newFixedThreadPool(2 * clientsPerNode);
        try {
            List<Future<List<Long>>> futures = new ArrayList<>();
            for (TestHost node : new TestHost[] {a, b}) {
                for (int c = 0; c < clientsPerNode; c++) {
                    futures.add(
                            pool.submit(
                                    () -> {
                                        List<Long> seen = new ArrayList<>();
                                        for (int i = 0; i < each; i++) {
                                            Result r = call(node, "hits", "counter", utf8("n"));
                                            assertThat(r.rc()).isZero();
                                            seen.add(r.sum());
                                        }
                                        return seen;
                                    }));
                }
            }
            List<Long> all = new ArrayList<>();
            for (var f : futures) {
                all.addAll(f.get(120, TimeUnit.SECONDS));
            }
            long total = 2L * clientsPerNode * each;
            // every increment saw its own sum: none lost, none applied twice, on either node
            assertThat(all).doesNotHaveDuplicates().hasSize((int) total);
            assertThat(all.stream().mapToLong(Long::longValue).max().orElseThrow())
                    .isEqualTo(total);
            assertThat(text(a.get(kvPath("hits", "n")))).isEqualTo(String.valueOf(total));
            assertThat(text(b.get(kvPath("hits", "n")))).isEqualTo(String.valueOf(total));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void keysSetOnOneNodeAreReadAndListedOnTheOtherAtOnce() {
        deployProbe(a, "docs", "get");
        deployProbe(a, "docs", "list");
        deployProbe(a, "docs", "del");
        // keys with bytes NATS subjects forbid or give meaning to, and a 256-byte one
        List<String> hostile =
                List.of(
                        "a.b",
                        "a.*",
                        "a.>",
                        "a. space",
                        "a/ü/ß",
                        "a/$KV.x",
                        "a/" + "é".repeat(127));
        for (String k : hostile) {
            assertThat(utf8(k).length).isLessThanOrEqualTo(256);
            HttpResponse<byte[]> put = adminPut(a, "docs", k, "v:" + k);
            assertThat(put.statusCode()).as(k + ": " + text(put)).isEqualTo(204);
            // read by a guest on the other node as soon as the first node answered
            Result got = call(b, "docs", "get", utf8(k));
            assertThat(got.rc()).as(k).isEqualTo(utf8("v:" + k).length);
            assertThat(got.text()).isEqualTo("v:" + k);
        }
        assertThat(adminPut(a, "docs", "b/1", "other").statusCode()).isEqualTo(204);

        List<String> sorted =
                hostile.stream()
                        .sorted((x, y) -> java.util.Arrays.compareUnsigned(utf8(x), utf8(y)))
                        .toList();
        assertThat(keys(call(b, "docs", "list", listPayload("a", "")).rest()))
                .containsExactlyElementsOf(sorted);
        assertThat(keys(call(b, "docs", "list", listPayload("a.", "a.*")).rest()))
                .containsExactly("a.>", "a.b");
        var page = json(b.get("/api/v1/services/docs/kv?prefix=a/&limit=2"));
        assertThat(page.path("keys")).hasSize(2);
        assertThat(page.path("keys").get(0).path("key").asText()).isEqualTo("a/$KV.x");
        // é (C3 A9) sorts before ü (C3 BC): byte order, as on one node
        assertThat(page.path("next").asText()).isEqualTo("a/" + "é".repeat(127));

        // deleted on b: gone on a
        assertThat(call(b, "docs", "del", utf8("a.*")).rc()).isZero();
        assertThat(call(b, "docs", "del", utf8("a.*")).rc()).isEqualTo(-1);
        assertThat(errorCode(a.get(kvPath("docs", "a.*")))).isEqualTo("kv_key_not_found");
        assertThat(keys(call(a, "docs", "list", listPayload("a.", "")).rest()))
                .containsExactly("a. space", "a.>", "a.b");
    }

    @Test
    void compareAndSwapConflictsAcrossNodesAsOnOne() {
        deployProbe(a, "locks", "cas");
        deployProbe(a, "locks", "get");
        assertThat(call(a, "locks", "cas", casPayload("lock", null, "held-by-a")).rc()).isZero();
        assertThat(call(b, "locks", "cas", casPayload("lock", null, "held-by-b")).rc())
                .isEqualTo(-4);
        assertThat(call(b, "locks", "cas", casPayload("lock", "held-by-x", "b")).rc())
                .isEqualTo(-4);
        assertThat(call(b, "locks", "cas", casPayload("lock", "held-by-a", "held-by-b")).rc())
                .isZero();
        assertThat(call(a, "locks", "get", utf8("lock")).text()).isEqualTo("held-by-b");
        assertThat(call(a, "locks", "cas", casPayload("lock", "held-by-a", "again")).rc())
                .isEqualTo(-4);
    }

    /**
     * The service's key count as the node's store reads it. A JetStream read that times out on a
     * loaded machine is {@code unavailable} (the API's 503, "retry later"), so the read is retried
     * as a client would; any other failure, or a third timeout, fails the test.
     */
    private static long keysInStore(TestHost node, String service) {
        for (int attempt = 1; ; attempt++) {
            try {
                return node.host().kv().usage(service).keys();
            } catch (KilnException e) {
                if (e.code() != ErrorCode.UNAVAILABLE || attempt == 3) {
                    throw e;
                }
            }
        }
    }

    @Test
    void aKeyWithATtlSetOnOneNodeExpiresOnBoth() throws Exception {
        deployProbe(a, "sessions", "set");
        deployProbe(a, "sessions", "get");
        assertThat(call(a, "sessions", "set", setPayload(utf8("s"), utf8("v"), 400)).rc()).isZero();
        var seen = b.get(kvPath("sessions", "s"));
        assertThat(seen.headers().firstValue("X-Kiln-Kv-Expires-At")).isPresent();
        TestHost.await(
                "the key to expire on b",
                Duration.ofSeconds(20),
                () -> call(b, "sessions", "get", utf8("s")).rc() == -1);
        assertThat(call(a, "sessions", "get", utf8("s")).rc()).isEqualTo(-1);
        assertThat(errorCode(a.get(kvPath("sessions", "s")))).isEqualTo("kv_key_not_found");
        assertThat(json(b.get("/api/v1/services/sessions/kv")).path("keys")).isEmpty();
        // and it no longer counts against the service's keys
        assertThat(keysInStore(a, "sessions")).isZero();
    }

    @Test
    void limitsHoldAcrossNodesWithTheStableCodesAndBothNodesStillServe() {
        deployProbe(a, "full", "set");
        deployProbe(a, "full", "get");
        deployProbe(a, "full", "counter");
        // fill the service's keys through a
        for (int i = 0; i < MAX_KEYS; i++) {
            assertThat(call(a, "full", "set", setPayload(utf8("k" + i), utf8("v"), 0)).rc())
                    .isZero();
        }
        // b, its first write to this service, counts a's keys
        assertThat(call(b, "full", "set", setPayload(utf8("one-more"), utf8("v"), 0)).rc())
                .isEqualTo(-3);
        assertThat(errorCode(adminPut(b, "full", "one-more", "v"))).isEqualTo("conflict");
        // replacing a key does not grow the store
        assertThat(call(b, "full", "set", setPayload(utf8("k3"), utf8("w"), 0)).rc()).isZero();
        assertThat(keysInStore(b, "full")).isEqualTo(MAX_KEYS);
        // oversize value and key, bad keys: the single node's codes
        byte[] big = new byte[1024 * 1024 + 1];
        assertThat(call(b, "full", "set", setPayload(utf8("k1"), big, 0)).rc()).isEqualTo(-3);
        assertThat(call(b, "full", "get", utf8("k".repeat(257))).rc()).isEqualTo(-3);
        assertThat(call(b, "full", "get", new byte[] {'a', 0, 'b'}).rc()).isEqualTo(-2);
        assertThat(call(b, "full", "get", new byte[] {(byte) 0xC3}).rc()).isEqualTo(-2);
        var tooBig =
                b.send(
                        b.admin(kvPath("full", "k1"))
                                .PUT(HttpRequest.BodyPublishers.ofByteArray(big))
                                .build());
        assertThat(errorCode(tooBig)).isEqualTo("payload_too_large");
        // a full 1 MiB value fits (the servers' max_payload is 2 MB) and reads back on a
        byte[] mib = new byte[1024 * 1024];
        mib[mib.length - 1] = 7;
        assertThat(call(b, "full", "set", setPayload(utf8("k1"), mib, 0)).rc()).isZero();
        Result got = call(a, "full", "get", utf8("k1"));
        assertThat(got.rc()).isEqualTo(mib.length);
        assertThat(got.rest()[mib.length - 1]).isEqualTo((byte) 7);
        // both nodes still serve, and another service is not affected
        assertThat(call(a, "full", "get", utf8("k3")).text()).isEqualTo("w");
        deployProbe(a, "fresh", "counter");
        assertThat(call(b, "fresh", "counter", utf8("n")).sum()).isEqualTo(1);
    }

    @Test
    void writesAFullStoreRefusesDoNotEachListTheService() {
        deployProbe(a, "brim", "set");
        for (int i = 0; i < MAX_KEYS; i++) {
            assertThat(call(a, "brim", "set", setPayload(utf8("k" + i), utf8("v"), 0)).rc())
                    .isZero();
        }
        JetStreamKvStore store = (JetStreamKvStore) a.host().kv();
        long listingsBefore = store.listings();
        long t0 = System.nanoTime();
        int refused = 60;
        for (int i = 0; i < refused; i++) {
            assertThat(call(a, "brim", "set", setPayload(utf8("new" + i), utf8("v"), 0)).rc())
                    .isEqualTo(-3);
        }
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0);
        // Each started second may see one listing before a refusal and one in the background
        // (KvServiceCounts.LISTING_MAX_AGE); a listing per refused write was 60.
        assertThat(store.listings() - listingsBefore)
                .as("listings for %d refused writes in %d s", refused, seconds)
                .isLessThanOrEqualTo(2 * (seconds + 2));
        // a key this node deletes makes room at once, and b still serves the service
        assertThat(a.send(a.admin(kvPath("brim", "k0")).DELETE().build()).statusCode())
                .isEqualTo(204);
        assertThat(call(a, "brim", "set", setPayload(utf8("new0"), utf8("v"), 0)).rc()).isZero();
        deployProbe(a, "brim", "get");
        assertThat(call(b, "brim", "get", utf8("new0")).text()).isEqualTo("v");
    }

    @Test
    void theSweepTombstonesExpiredKeysAndLaterRemovesTheTombstones() throws Exception {
        deployProbe(a, "sweep", "set");
        deployProbe(a, "sweep", "get");
        assertThat(call(a, "sweep", "set", setPayload(utf8("gone"), utf8("v"), 1)).rc()).isZero();
        TestHost.await(
                "the key to expire",
                Duration.ofSeconds(10),
                () -> call(b, "sweep", "get", utf8("gone")).rc() == -1);
        JetStreamKvStore store = (JetStreamKvStore) a.host().kv();
        String subject = "$KV.kiln-kv.sweep." + HexFormat.of().formatHex(utf8("gone"));
        Connection nc = Nats.connect(nats.urls());
        try {
            JetStreamManagement jsm = nc.jetStreamManagement();
            store.sweep(Duration.ofMinutes(30));
            TestHost.await(
                    "a tombstone over the expired key",
                    Duration.ofSeconds(10),
                    () -> "DEL".equals(operation(jsm, subject)));
            store.sweep(Duration.ZERO);
            TestHost.await(
                    "the tombstone removed",
                    Duration.ofSeconds(10),
                    () -> operation(jsm, subject) == null);
        } finally {
            nc.close();
        }
        // the key can be written again, from revision 0
        assertThat(call(b, "sweep", "set", setPayload(utf8("gone"), utf8("back"), 0)).rc())
                .isZero();
        assertThat(call(a, "sweep", "get", utf8("gone")).text()).isEqualTo("back");
    }

    /** The last message's KV operation on {@code subject}: "PUT", "DEL", or null without one. */
    static String operation(JetStreamManagement jsm, String subject) {
        try {
            var m = jsm.getLastMessage("KV_kiln-kv", subject);
            String op = m.getHeaders() == null ? null : m.getHeaders().getFirst("KV-Operation");
            return op == null ? "PUT" : op;
        } catch (JetStreamApiException e) {
            return null;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
