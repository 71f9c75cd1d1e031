package dev.kiln.host.cluster;

import static dev.kiln.host.testing.TestHost.await;
import static dev.kiln.host.testing.TestHost.errorCode;
import static dev.kiln.host.testing.TestHost.json;
import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.testing.Closing;
import dev.kiln.host.testing.NatsServers;
import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Overflow between two Kiln nodes on one JetStream server (a real nats-server process, docs/adr/
 * 0056): node a has one worker and room for one waiting call, node b two workers. What a cannot
 * take runs on b, with the answer a local run gives; only when neither has room does the client get
 * {@code overloaded}; the deadline travels with a forwarded call; a payload NATS cannot carry is
 * refused with a clear message and the node goes on serving.
 */
class ClusterOverflowTest {
    static final String FN = "/api/v1/services/ov/functions/slow";

    @TempDir static Path dir;
    static NatsServers nats;
    static TestHost a;
    static TestHost b;

    final ExecutorService clients = Executors.newCachedThreadPool();
    final List<Future<HttpResponse<byte[]>>> background = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        // NATS' default max_payload (1 MiB), which the oversize-payload test relies on.
        nats = NatsServers.start(Files.createDirectories(dir.resolve("nats")), 1, null);
        a =
                TestHost.start(
                        dir.resolve("node-a"),
                        c ->
                                c.cluster(nats.settings("zone-1", "a"))
                                        .workerThreads(1)
                                        .workerQueue(1)
                                        .queueWait(Duration.ofSeconds(1)));
        b =
                TestHost.start(
                        dir.resolve("node-b"),
                        c -> c.cluster(nats.settings("zone-2", "b")).workerThreads(2));
        // sleepy busy-waits for as many ms as its payload says; 4 s is its own timeout
        assertThat(a.deploy("ov", "slow", Wat.fixture("sleepy")).statusCode()).isEqualTo(201);
        assertThat(
                        a.patch("ov", "slow", "{\"timeoutMs\":4000,\"fuel\":1000000000000}")
                                .statusCode())
                .isEqualTo(200);
        // compiled and pooled on both nodes before any test fills them
        assertThat(a.invoke("ov", "slow", "0").statusCode()).isEqualTo(200);
        assertThat(b.invoke("ov", "slow", "0").statusCode()).isEqualTo(200);
    }

    @AfterAll
    static void stop() {
        Closing.all(a, b, nats);
    }

    @AfterEach
    void drain() throws Exception {
        for (var f : background) {
            assertThat(f.get().statusCode()).as(text(f.get())).isIn(200, 429, 504);
        }
        clients.shutdownNow();
    }

    @Test
    void callsBeyondANodesCapacityAreAnsweredByANodeWithRoomAndForwardedOnce() throws Exception {
        double outBefore = metric(a, "kiln_forwarded_total{way=\"out\",result=\"ran\"}");
        double inBefore = metric(b, "kiln_forwarded_total{way=\"in\",result=\"ran\"}");
        fill(a, "2500", 2);

        Future<HttpResponse<byte[]>> viaApi = clients.submit(() -> a.invoke("ov", "slow", "200"));
        Future<HttpResponse<byte[]>> viaTrigger =
                clients.submit(() -> a.send(a.request("/fn/ov/slow/x?q=1").GET().build()));

        for (HttpResponse<byte[]> r : List.of(viaApi.get(), viaTrigger.get())) {
            assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
            assertThat(text(r)).isEqualTo("v1");
            assertThat(r.headers().firstValue("X-Kiln-Node")).hasValue("b");
            // version 2: the timeout patched after the upload is a new version
            assertThat(r.headers().firstValue("X-Kiln-Version")).hasValue("2");
            String id = r.headers().firstValue("X-Kiln-Request-Id").orElseThrow();
            // recorded by the node that ran it, and readable on the other (docs/adr/0057)
            assertThat(json(b.get(FN + "/invocations/" + id)).path("outcome").asText())
                    .isEqualTo("ok");
            assertThat(json(b.get(FN + "/invocations/" + id)).path("node").asText()).isEqualTo("b");
            await(
                    "b's record on a",
                    Duration.ofSeconds(20),
                    () -> a.get(FN + "/invocations/" + id).statusCode() == 200);
            assertThat(json(a.get(FN + "/invocations/" + id)).path("node").asText()).isEqualTo("b");
        }
        assertThat(metric(a, "kiln_forwarded_total{way=\"out\",result=\"ran\"}") - outBefore)
                .isEqualTo(2);
        assertThat(metric(b, "kiln_forwarded_total{way=\"in\",result=\"ran\"}") - inBefore)
                .isEqualTo(2);
        // b had room: it ran what it was given and forwarded nothing on
        assertThat(forwardedOut(b)).isZero();
    }

    @Test
    void aNodeOfTheCallersZoneIsAskedFirst() throws Exception {
        // c shares a's zone; b (zone-2) has room too, but is asked only when zone-1 has none
        try (TestHost c =
                TestHost.start(
                        dir.resolve("node-c"),
                        conf -> conf.cluster(nats.settings("zone-1", "c")).workerThreads(2))) {
            await(
                    "c to take forwarded calls",
                    Duration.ofSeconds(5),
                    () -> metric(c, "kiln_forwarding_open") == 1);
            fill(a, "2000", 2);

            List<Future<HttpResponse<byte[]>>> calls = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                calls.add(clients.submit(() -> a.invoke("ov", "slow", "100")));
            }
            for (var call : calls) {
                HttpResponse<byte[]> r = call.get();
                assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
                assertThat(r.headers().firstValue("X-Kiln-Node")).hasValue("c");
            }
            for (var f : background) {
                f.get();
            }
        }
    }

    @Test
    void whenNoNodeHasRoomTheClientGetsOverloaded() throws Exception {
        fill(a, "3000", 2);
        fill(b, "3000", 2);

        HttpResponse<byte[]> refused = a.invoke("ov", "slow", "0");

        assertThat(refused.statusCode()).as(text(refused)).isEqualTo(429);
        assertThat(errorCode(refused)).isEqualTo("overloaded");
        assertThat(json(refused).path("error").path("message").asText())
                .contains("no other node of the cluster has room");
        assertThat(refused.headers().firstValue("X-Kiln-Node")).hasValue("a");
        assertThat(forwardedOut(b)).isZero();
    }

    @Test
    void aForwardedCallEndsWithinWhatIsLeftOfItsDeadline() throws Exception {
        // a's worker is busy for 3 s; the next call waits in a's queue for it, is refused when it
        // frees (queueWait 1 s is long past) and forwarded with ~2 s left of its 1 s + 4 s budget.
        // It needs 3 s: within its own timeout of 4 s, past what is left of its deadline.
        fill(a, "3000", 1);
        Future<HttpResponse<byte[]>> late = clients.submit(() -> a.invoke("ov", "slow", "3000"));
        await("the call waiting on a", Duration.ofSeconds(10), () -> inUse(a) == 2);

        HttpResponse<byte[]> r = late.get();

        assertThat(r.statusCode()).as(text(r)).isEqualTo(504);
        assertThat(errorCode(r)).isEqualTo("timeout");
        assertThat(r.headers().firstValue("X-Kiln-Node")).isPresent();
    }

    @Test
    void aPayloadOverNatsMaxPayloadIsRefusedClearlyAndTheNodeServesOn() throws Exception {
        fill(a, "1500", 2);
        byte[] big = new byte[1536 * 1024]; // NATS' default max payload is 1 MiB
        Arrays.fill(big, (byte) '0');

        HttpResponse<byte[]> refused = a.invoke("ov", "slow", big);

        assertThat(refused.statusCode()).as(text(refused)).isEqualTo(429);
        assertThat(errorCode(refused)).isEqualTo("overloaded");
        assertThat(json(refused).path("error").path("message").asText())
                .contains("too large to forward")
                .contains("max payload");
        assertThat(metric(a, "kiln_forwarded_total{way=\"out\",result=\"too_large\"}"))
                .isGreaterThanOrEqualTo(1);
        for (var f : background) {
            f.get();
        }
        HttpResponse<byte[]> after = a.invoke("ov", "slow", "0");
        assertThat(after.statusCode()).as(text(after)).isEqualTo(200);
        assertThat(after.headers().firstValue("X-Kiln-Node")).hasValue("a");
    }

    /**
     * Sends {@code calls} calls of {@code ms} to {@code node} and waits until they hold its workers
     * and queue, and the node has stopped taking forwarded calls.
     */
    private void fill(TestHost node, String ms, int calls) {
        for (int i = 0; i < calls; i++) {
            int held = i + 1;
            background.add(clients.submit(() -> node.invoke("ov", "slow", ms)));
            await(
                    "call " + held + " held by the node",
                    Duration.ofSeconds(10),
                    () -> inUse(node) >= held);
        }
        await(
                "the node to stop taking forwarded calls",
                Duration.ofSeconds(5),
                () -> metric(node, "kiln_forwarding_open") == 0);
    }

    private static int inUse(TestHost node) {
        return node.host().invoker().inUse();
    }

    private static double forwardedOut(TestHost node) {
        double sum = 0;
        for (String result : List.of("ran", "no_room", "too_large", "timeout", "failed")) {
            sum += metric(node, "kiln_forwarded_total{way=\"out\",result=\"" + result + "\"}");
        }
        return sum;
    }

    /** A counter or gauge's value in the node's metrics (0 when the series is absent). */
    private static double metric(TestHost node, String series) {
        for (String line : node.host().metrics().scrape().lines().toList()) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1));
            }
        }
        return 0;
    }
}
