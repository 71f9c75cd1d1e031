package dev.kiln.host.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Load for the cluster fault tests (issue 22 item 7): client threads, each starting on one Kiln
 * node, alternate a synchronous echo with an async invocation of {@code count}, a guest that
 * increments the service's key-value counter named by its payload (a key per request) and traps
 * when the store refuses, so the attempt is retried. A client whose node stops answering (a refused
 * or broken connection) fails over to the next node, as a client behind a load balancer would; any
 * other refusal it retries on the same node after a short pause. Every {@code 202} is remembered:
 * after the fault, each of those keys must reach a count of at least 1 (none lost), and a count
 * above 1 is a duplicate run.
 */
final class FaultLoad {
    static final String SERVICE = "faults";
    static final String FN = "/api/v1/services/" + SERVICE + "/functions/";

    /**
     * kv_increment(payload, 1); a refusal logs its code ({@code kv_increment refused: -NN}, so a
     * failed attempt's record says why) and traps (unreachable), so the attempt fails.
     */
    static final String COUNT_WAT =
            """
            (module
              (import "kiln" "kv_increment" (func $incr (param i32 i32 i64 i32) (result i32)))
              (import "kiln" "log" (func $log (param i32 i32 i32) (result i32)))
              (memory (export "memory") 2)
              (data (i32.const 0) "kv_increment refused: -00")
              (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
              (func (export "kiln_handle") (param $p i32) (param $n i32) (result i64)
                (local $code i32)
                (local.set $code
                  (i32.sub (i32.const 0)
                    (call $incr (local.get $p) (local.get $n) (i64.const 1) (i32.const 64))))
                (if (i32.ne (local.get $code) (i32.const 0))
                  (then
                    (i32.store8 (i32.const 23)
                      (i32.add (i32.const 48) (i32.div_u (local.get $code) (i32.const 10))))
                    (i32.store8 (i32.const 24)
                      (i32.add (i32.const 48) (i32.rem_u (local.get $code) (i32.const 10))))
                    (drop (call $log (i32.const 3) (i32.const 0) (i32.const 25)))
                    unreachable))
                (i64.const 0)))
            """;

    /**
     * The service's key limit on every node of a fault test. Each async invocation increments a key
     * of its own, and two nodes' clients post over 10 000 in 30 s on a fast machine: over the
     * default limit (10 000), which refuses the last ones ({@code kv_increment refused: -03}) and
     * would count them lost. The tests are about faults, not about that limit.
     */
    static final int MAX_KEYS = 1_000_000;

    /** A node the clients may reach: its name and HTTP port. */
    record Node(String name, int port) {}

    private final HttpClient http =
            HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(3))
                    .build();
    private final List<Node> nodes;
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running = true;
    private volatile long faultAt;
    private volatile long stoppedAt;

    /** Keys of every async invocation answered 202, with the node that answered it. */
    final Map<String, String> acknowledged = new ConcurrentHashMap<>();

    /** Keys of every async invocation answered 202, with the request id it was given. */
    private final Map<String, String> requestIds = new ConcurrentHashMap<>();

    final AtomicInteger syncOk = new AtomicInteger();
    final AtomicInteger syncFailed = new AtomicInteger();
    final AtomicInteger asyncFailed = new AtomicInteger();
    final AtomicInteger failovers = new AtomicInteger();

    /** Listings of the service's keys refused while the test read its counts. */
    final AtomicInteger listFailures = new AtomicInteger();

    /** Failures of clients that started on a node that was not killed, after the fault. */
    final AtomicInteger survivorFailures = new AtomicInteger();

    /** Nanos of every synchronous 200, and of every 202. */
    private final List<Long> successes = new ArrayList<>(); // guarded by itself

    private final List<Long> accepted = new ArrayList<>(); // guarded by successes

    /** Per client that started on a killed node: nanos from the fault to its first success. */
    final Map<Integer, Long> failoverMs = new ConcurrentHashMap<>();

    private final Set<String> killed = ConcurrentHashMap.newKeySet();
    private final AtomicLong longestRequestNanos = new AtomicLong();

    FaultLoad(List<Node> nodes) {
        this.nodes = List.copyOf(nodes);
    }

    /** Deploys echo and count (with room for retries) through {@code node}. */
    static void deploy(TestHost node) {
        var echo = node.deploy(SERVICE, "echo", Wat.fixture("echo"));
        assertThat(echo.statusCode()).as(TestHost.text(echo)).isEqualTo(201);
        var count = node.deploy(SERVICE, "count", Wat.compile(COUNT_WAT));
        assertThat(count.statusCode()).as(TestHost.text(count)).isEqualTo(201);
        var cfg = node.sendJson("PUT", FN + "count/async-config", "{\"maxAttempts\":20}");
        assertThat(cfg.statusCode()).as(TestHost.text(cfg)).isEqualTo(200);
    }

    /** Starts {@code perNode} client threads per node. */
    FaultLoad start(int perNode) {
        for (int i = 0; i < nodes.size() * perNode; i++) {
            int client = i;
            Thread t = new Thread(() -> client(client), "fault-client-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
        return this;
    }

    /** Marks the moment of the fault and the nodes it killed (by name). */
    void fault(String... killedNodes) {
        killed.addAll(List.of(killedNodes));
        faultAt = System.nanoTime();
    }

    long faultAt() {
        return faultAt;
    }

    /** Client {@code i} starts on node {@code i % nodes}; even clients invoke, odd ones post. */
    private void client(int client) {
        int current = client % nodes.size();
        String home = nodes.get(current).name();
        boolean posting = (client / nodes.size()) % 2 == 1;
        long seq = 0;
        while (running) {
            Node n = nodes.get(current);
            boolean survivor = faultAt != 0 && !killed.contains(home);
            String key = "ev-" + client + "-" + seq++;
            String[] requestId = new String[1];
            int status =
                    posting
                            ? send(n, "POST", FN + "count/invoke", key, requestId)
                            : send(n, "POST", FN + "echo/invoke", key, null);
            boolean ok = status == (posting ? 202 : 200);
            if (ok && posting) {
                acknowledged.put(key, n.name());
                if (requestId[0] != null) {
                    requestIds.put(key, requestId[0]);
                }
            } else if (ok) {
                syncOk.incrementAndGet();
            } else if (posting) {
                asyncFailed.incrementAndGet();
            } else {
                syncFailed.incrementAndGet();
            }
            if (ok && faultAt != 0 && killed.contains(home)) {
                failoverMs.putIfAbsent(client, (System.nanoTime() - faultAt) / 1_000_000);
            }
            if (ok) {
                pause(5);
                continue;
            }
            if (survivor) {
                survivorFailures.incrementAndGet();
            }
            if (status < 0) { // the node is gone: the next one
                current = (current + 1) % nodes.size();
                failovers.incrementAndGet();
            } else {
                pause(50);
            }
        }
    }

    /**
     * The status, or -1 when the connection failed (refused, reset, timed out). An async call
     * passes {@code requestId}, which gets the request id of a 202.
     */
    private int send(Node n, String method, String path, String body, String[] requestId) {
        boolean async = requestId != null;
        var b =
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + n.port() + path))
                        .timeout(Duration.ofSeconds(20))
                        .header("Authorization", "Bearer " + TestHost.TOKEN)
                        .method(method, HttpRequest.BodyPublishers.ofString(body));
        if (async) {
            b.header("X-Kiln-Invocation-Type", "async");
        }
        long t0 = System.nanoTime();
        try {
            var response = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            int status = response.statusCode();
            long t1 = System.nanoTime();
            if (async && status == 202) {
                requestId[0] = TestHost.json(response).path("requestId").asText();
            }
            longestRequestNanos.accumulateAndGet(t1 - t0, Math::max);
            if (status == 200 || status == 202) {
                synchronized (successes) {
                    (status == 202 ? accepted : successes).add(t1);
                }
            }
            return status;
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** Stops the clients and waits for them. */
    void stop() throws InterruptedException {
        stoppedAt = System.nanoTime();
        running = false;
        for (Thread t : threads) {
            t.join(30_000);
        }
    }

    /** The longest time after the fault with no synchronous invocation answered 200. */
    long longestGapMs() {
        synchronized (successes) {
            return gapAfter(successes, faultAt);
        }
    }

    /** The longest time after the fault with no 202 given by any node. */
    long longestAcceptGapMs() {
        synchronized (successes) {
            return gapAfter(accepted, faultAt);
        }
    }

    /** How many 202s were given after the fault. */
    int acceptedAfterFault() {
        synchronized (successes) {
            return (int) accepted.stream().filter(t -> t >= faultAt).count();
        }
    }

    long longestRequestMs() {
        return longestRequestNanos.get() / 1_000_000;
    }

    /** The longest gap between {@code from}, the times after it, and the end of the load. */
    private long gapAfter(List<Long> times, long from) {
        long[] t = times.stream().mapToLong(Long::longValue).filter(x -> x >= from).toArray();
        Arrays.sort(t);
        long prev = from;
        long max = 0;
        for (long x : t) {
            max = Math.max(max, x - prev);
            prev = x;
        }
        long end = stoppedAt == 0 ? System.nanoTime() : stoppedAt;
        return Math.max(max, end - prev) / 1_000_000;
    }

    /**
     * What became of the acknowledged events: how many never ran, how many ran more than once, the
     * time from the fault until every one had run, and the queue's depth at the end.
     */
    record Outcome(
            int acknowledged,
            int lost,
            int duplicates,
            long allRunMs,
            int depthAfter,
            List<String> lostKeys) {}

    /**
     * Reads every acknowledged key's count through {@code port} until each has run at least once
     * (or {@code wait} passes); then, for up to {@code settle} more, until the function's queue is
     * empty (a message a dead node held comes back after the ack wait and may run again), and
     * counts the duplicates.
     */
    Outcome outcome(int port, Duration wait, Duration settle) throws Exception {
        Set<String> pending = new LinkedHashSet<>(acknowledged.keySet());
        long deadline = System.nanoTime() + wait.toNanos();
        while (System.nanoTime() < deadline) {
            pending.removeAll(existingKeys(port)); // a key exists once its event has run
            // and one by one, for when a listing fails or misses keys
            for (String key : pending.stream().limit(200).toList()) {
                if (count(port, key) > 0) {
                    pending.remove(key);
                }
            }
            if (pending.isEmpty()) {
                break;
            }
            pause(250);
        }
        long allRunMs = (System.nanoTime() - faultAt) / 1_000_000;
        long settled = System.nanoTime() + settle.toNanos();
        int depth = queueDepth(port);
        while (depth != 0 && System.nanoTime() < settled) {
            pause(500);
            depth = queueDepth(port);
        }
        // every count, read once the queue is empty: above 1 is a duplicate run; a key still
        // missing is a lost event
        Map<String, Long> counts = new ConcurrentHashMap<>();
        try (var readers = java.util.concurrent.Executors.newFixedThreadPool(8)) {
            for (String key : acknowledged.keySet()) {
                readers.execute(
                        () -> {
                            try {
                                counts.put(key, count(port, key));
                            } catch (Exception e) {
                                counts.put(key, -1L);
                            }
                        });
            }
        }
        int duplicates = 0;
        List<String> lost = new ArrayList<>();
        for (var e : counts.entrySet()) {
            duplicates += (int) Math.max(0, e.getValue() - 1);
            if (e.getValue() == 0) {
                lost.add(e.getKey());
            }
        }
        if (!pending.isEmpty() && lost.isEmpty()) { // they ran while the queue settled
            allRunMs = (System.nanoTime() - faultAt) / 1_000_000;
        }
        return new Outcome(
                acknowledged.size(),
                lost.size(),
                duplicates,
                lost.isEmpty() ? allRunMs : -1,
                depth,
                List.copyOf(lost));
    }

    /** Every key of the service's store starting {@code ev-}, a page of 1000 at a time. */
    private Set<String> existingKeys(int port) throws Exception {
        Set<String> keys = new java.util.HashSet<>();
        String after = "";
        while (true) {
            var r =
                    http.send(
                            HttpRequest.newBuilder(
                                            URI.create(
                                                    "http://127.0.0.1:"
                                                            + port
                                                            + "/api/v1/services/"
                                                            + SERVICE
                                                            + "/kv?prefix=ev-&limit=1000&after="
                                                            + URLEncoder.encode(
                                                                    after, StandardCharsets.UTF_8)))
                                    .header("Authorization", "Bearer " + TestHost.TOKEN)
                                    .build(),
                            HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() != 200) {
                listFailures.incrementAndGet();
                return keys; // e.g. 503 while the store recovers: the next pass reads again
            }
            var page = TestHost.json(r);
            for (var k : page.path("keys")) {
                keys.add(k.path("key").asText());
            }
            if (page.path("next").isNull() || page.path("next").isMissingNode()) {
                return keys;
            }
            after = page.path("next").asText();
        }
    }

    /** The longest a client of a killed node went from the fault to its first success, or -1. */
    long failoverMs() {
        return failoverMs.values().stream().mapToLong(Long::longValue).max().orElse(-1);
    }

    /** The numbers every fault test prints, as {@code name=value} pairs. */
    String summary(Outcome o) {
        return String.format(
                "acknowledged=%d lost=%d duplicates=%d failover_ms=%d sync_gap_ms=%d"
                        + " accept_gap_ms=%d longest_request_ms=%d sync_ok=%d sync_failed=%d"
                        + " refused_posts=%d accepted_after=%d all_run_ms=%d depth_after=%d"
                        + " survivor_failures=%d list_failures=%d",
                o.acknowledged(),
                o.lost(),
                o.duplicates(),
                failoverMs(),
                longestGapMs(),
                longestAcceptGapMs(),
                longestRequestMs(),
                syncOk.get(),
                syncFailed.get(),
                asyncFailed.get(),
                acceptedAfterFault(),
                o.allRunMs(),
                o.depthAfter(),
                survivorFailures.get(),
                listFailures.get());
    }

    /**
     * What the cluster says about events that never ran, read through {@code port}: for each (up to
     * 5) the node that acknowledged it and its key's answer; the queue and dead letters.
     */
    String explain(Outcome o, int port) throws Exception {
        StringBuilder b = new StringBuilder();
        for (String key : o.lostKeys().stream().limit(5).toList()) {
            b.append("lost ")
                    .append(key)
                    .append(" acknowledged by ")
                    .append(acknowledged.get(key))
                    .append(": kv ")
                    .append(read(port, "/api/v1/services/" + SERVICE + "/kv/" + key))
                    .append('\n');
            String id = requestIds.get(key);
            if (id != null) {
                b.append("  request ")
                        .append(id)
                        .append("\n  queued: ")
                        .append(read(port, FN + "count/events/" + id))
                        .append("\n  dead letter: ")
                        .append(read(port, FN + "count/dead-letters/" + id))
                        .append("\n  record: ")
                        .append(read(port, FN + "count/invocations/" + id))
                        .append('\n');
            }
        }
        b.append("queue: ").append(read(port, FN + "count/queue")).append('\n');
        b.append("dead letters: ").append(read(port, FN + "count/dead-letters")).append('\n');
        return b.toString();
    }

    private String read(int port, String path) throws Exception {
        var r =
                http.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                                .header("Authorization", "Bearer " + TestHost.TOKEN)
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        String body = r.body();
        return r.statusCode() + " " + body.substring(0, Math.min(600, body.length()));
    }

    private long count(int port, String key) throws Exception {
        var r =
                http.send(
                        HttpRequest.newBuilder(
                                        URI.create(
                                                "http://127.0.0.1:"
                                                        + port
                                                        + "/api/v1/services/"
                                                        + SERVICE
                                                        + "/kv/"
                                                        + URLEncoder.encode(
                                                                key, StandardCharsets.UTF_8)))
                                .header("Authorization", "Bearer " + TestHost.TOKEN)
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 404) {
            return 0;
        }
        if (r.statusCode() != 200) {
            return -1; // unreadable (e.g. 503): neither lost nor counted
        }
        return Long.parseLong(r.body().trim());
    }

    private int queueDepth(int port) throws Exception {
        var r =
                http.send(
                        HttpRequest.newBuilder(
                                        URI.create("http://127.0.0.1:" + port + FN + "count/queue"))
                                .header("Authorization", "Bearer " + TestHost.TOKEN)
                                .build(),
                        HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
            return -1;
        }
        return TestHost.json(r).path("depth").asInt(-1);
    }

    static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
