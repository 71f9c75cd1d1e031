package dev.kiln.host.cluster;

import static dev.kiln.host.testing.TestHost.json;
import static dev.kiln.host.testing.TestHost.text;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.host.config.ClusterSettings;
import dev.kiln.host.testing.NatsServers;
import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invocation records, their logs, usage and statistics are the cluster's (docs/adr/0057): what one
 * node ran is read on the other, followed live there, counted exactly once after a restart, and
 * kept locally (then published once NATS is back) through an outage.
 */
class ClusterRecordsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String FN = "/api/v1/services/s/functions/log";
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir Path dir;

    @Test
    void whatOneNodeRanIsReadFollowedAndCountedOnceOnTheOther() throws Exception {
        try (NatsServers nats = NatsServers.start(Files.createDirectories(dir.resolve("nats")), 3);
                TestHost a = node(nats, "a")) {
            assertThat(a.deploy("s", "log", Wat.fixture("logger")).statusCode()).isEqualTo(201);
            List<String> ids = new ArrayList<>();
            try (TestHost b = node(nats, "b");
                    Follower follower = new Follower(b)) {
                for (int i = 0; i < 5; i++) {
                    ids.add(invoke(a, "1from a " + i));
                }
                ids.add(invoke(b, "2from b"));
                ids.add(invoke(a, "xfails on a"));

                // b follows a's lines live
                Set<String> followed = new HashSet<>();
                while (followed.size() < 6) {
                    JsonNode line = follower.next();
                    assertThat(line).as("a followed line, got " + followed).isNotNull();
                    followed.add(line.path("message").asText());
                }
                assertThat(followed).contains("from a 0", "from a 4", "from b");

                // one record of a, with its logs, read on b
                TestHost.await(
                        "a's record on b",
                        WAIT,
                        () -> b.get(FN + "/invocations/" + ids.get(0)).statusCode() == 200);
                JsonNode one = json(b.get(FN + "/invocations/" + ids.get(0)));
                assertThat(one.path("logs").get(0).path("message").asText()).isEqualTo("from a 0");
                assertThat(one.path("node").asText()).isEqualTo("a");
                TestHost.await(
                        "b's record on a",
                        WAIT,
                        () -> a.get(FN + "/invocations/" + ids.get(5)).statusCode() == 200);
                assertThat(json(a.get(FN + "/invocations/" + ids.get(5))).path("node").asText())
                        .isEqualTo("b");
                // listings, usage and statistics of both nodes, on both nodes
                for (TestHost n : new TestHost[] {a, b}) {
                    TestHost.await("all records on a node", WAIT, () -> listed(n).size() == 7);
                    assertThat(listed(n)).containsExactlyInAnyOrderElementsOf(ids);
                    assertThat(usage(n)).isEqualTo(7);
                    assertThat(statsCount(n)).isEqualTo(7);
                }
                JsonNode failed = json(b.get(FN + "/invocations/" + ids.get(6)));
                assertThat(failed.path("outcome").asText()).isNotEqualTo("ok");
            }
            // b away while a runs more; b back on the same data directory
            for (int i = 0; i < 3; i++) {
                ids.add(invoke(a, "1while b was away " + i));
            }
            try (TestHost b = node(nats, "b")) {
                TestHost.await("b caught up", WAIT, () -> listed(b).size() == 10);
                ids.add(invoke(a, "1after b came back"));
                TestHost.await("b has the newest", WAIT, () -> listed(b).size() == 11);
                // no record counted twice: usage is the sum of the records, exactly
                Thread.sleep(500);
                assertThat(usage(b)).isEqualTo(11);
                assertThat(listed(b)).containsExactlyInAnyOrderElementsOf(ids);
                a.host().flushRecords();
                assertThat(usage(a)).isEqualTo(11);
                assertThat(unreplicated(a)).isZero();
            }
        }
    }

    @Test
    void anOutageKeepsRecordsLocalAndPublishesThemWhenNatsIsBack() throws Exception {
        try (NatsServers nats = NatsServers.start(Files.createDirectories(dir.resolve("nats")), 1);
                TestHost a = node(nats, "a");
                TestHost b = node(nats, "b")) {
            assertThat(a.deploy("s", "log", Wat.fixture("logger")).statusCode()).isEqualTo(201);
            String before = invoke(a, "1before");
            TestHost.await("the first record on b", WAIT, () -> listed(b).contains(before));

            nats.server(0).kill();
            TestHost.await(
                    "a notices the outage",
                    WAIT,
                    () -> !json(a.get("/api/v1/cluster")).path("writable").asBoolean());
            List<String> during = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                during.add(invoke(a, "1during " + i));
            }
            a.host().flushRecords();
            // stored locally at once, the host serving as before
            assertThat(listed(a)).containsAll(during);
            assertThat(usage(a)).isEqualTo(4);
            assertThat(listed(b)).doesNotContainAnyElementsOf(during);

            nats.server(0).restart();
            TestHost.await(
                    "the outage's records on b",
                    Duration.ofSeconds(40),
                    () -> listed(b).containsAll(during));
            assertThat(usage(b)).isEqualTo(4);
            assertThat(unreplicated(a)).isZero();
            String after = invoke(b, "1after");
            TestHost.await("b's record on a", WAIT, () -> listed(a).contains(after));
            assertThat(usage(a)).isEqualTo(5);

            // what is not records on the stream is passed over; the nodes read on
            io.nats.client.Connection nc = io.nats.client.Nats.connect(nats.server(0).url());
            try {
                var js = nc.jetStream();
                js.publish("kiln.records.intruder", "not json".getBytes(UTF_8));
                js.publish("kiln.records.intruder", "[{\"requestId\":1}]".getBytes(UTF_8));
            } finally {
                nc.close();
            }
            String last = invoke(a, "1after the intruder");
            TestHost.await("a's record on b", WAIT, () -> listed(b).contains(last));
            assertThat(usage(b)).isEqualTo(6);
            assertThat(b.get("/api/v1/cluster").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void recordsReachTheOtherNodeWithinAFractionOfASecondAndABurstAllArrives() throws Exception {
        try (NatsServers nats = NatsServers.start(Files.createDirectories(dir.resolve("nats")), 1);
                TestHost a = node(nats, "a");
                TestHost b = node(nats, "b")) {
            assertThat(a.deploy("s", "log", Wat.fixture("logger")).statusCode()).isEqualTo(201);
            invoke(a, "1warm");
            TestHost.await("the first record on b", WAIT, () -> usage(b) == 1);
            List<Long> lagsMs = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                String id = invoke(a, "1lag " + i);
                long sent = System.nanoTime();
                TestHost.await(
                        "record " + i + " on b",
                        WAIT,
                        () -> b.get(FN + "/invocations/" + id).statusCode() == 200);
                lagsMs.add((System.nanoTime() - sent) / 1_000_000);
            }
            lagsMs.sort(null);
            int burst = 2000;
            var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
            long began = System.nanoTime();
            try {
                List<java.util.concurrent.Future<?>> done = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    done.add(
                            pool.submit(
                                    () -> {
                                        for (int i = 0; i < burst / 4; i++) {
                                            invoke(a, "1burst " + i);
                                        }
                                    }));
                }
                for (var f : done) {
                    f.get(120, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            long invoked = System.nanoTime();
            long total = 21L + burst;
            TestHost.await("the burst on b", Duration.ofSeconds(60), () -> usage(b) == total);
            long arrived = System.nanoTime();
            System.out.printf(
                    "records lag a->b: p50 %d ms, max %d ms; burst of %d: invoked in %d ms, all on"
                            + " b %d ms after the last%n",
                    lagsMs.get(lagsMs.size() / 2),
                    lagsMs.getLast(),
                    burst,
                    (invoked - began) / 1_000_000,
                    (arrived - invoked) / 1_000_000);
            assertThat(lagsMs.get(lagsMs.size() / 2)).isLessThan(2_000);
            a.host().flushRecords();
            assertThat(usage(a)).isEqualTo(total);
            assertThat(unreplicated(a)).isZero();
        }
    }

    /**
     * The records stream keeps the settings' byte limit, the oldest records dropped first, so it
     * cannot fill the servers' JetStream storage; a stream made without a limit (by an older Kiln)
     * gets it; a node that joins later reads what is left. The node that ran them keeps them all.
     */
    @Test
    void theRecordsStreamKeepsItsByteLimitDroppingTheOldest() throws Exception {
        try (NatsServers nats =
                NatsServers.start(Files.createDirectories(dir.resolve("nats")), 1)) {
            Connection nc = Nats.connect(nats.urls());
            try {
                recordsKeptTo(
                        ClusterSettings.MIN_RECORDS_MAX_BYTES, nats, nc.jetStreamManagement());
            } finally {
                nc.close();
            }
        }
    }

    private void recordsKeptTo(long limit, NatsServers nats, JetStreamManagement jsm)
            throws Exception {
        jsm.addStream(
                StreamConfiguration.builder()
                        .name(Buckets.RECORDS)
                        .subjects(Buckets.RECORD_SUBJECTS)
                        .storageType(StorageType.File)
                        .build()); // as a Kiln without the limit made it
        List<String> ids = new ArrayList<>();
        try (TestHost a =
                TestHost.start(
                        dir.resolve("node-a"),
                        c -> c.cluster(nats.settings("z", "a").withRecordsMaxBytes(limit)))) {
            assertThat(jsm.getStreamInfo(Buckets.RECORDS).getConfiguration().getMaxBytes())
                    .isEqualTo(limit);
            assertThat(a.deploy("s", "log", Wat.fixture("logger")).statusCode()).isEqualTo(201);
            String line = "1" + "r".repeat(8000); // ~8 KB of log per record
            for (int i = 0; i < 1_600; i++) {
                ids.add(invoke(a, line));
            }
            a.host().flushRecords();
            TestHost.await(
                    "the oldest records dropped from the stream",
                    WAIT,
                    () -> firstSequence(jsm) > 1);
            StreamInfo info = jsm.getStreamInfo(Buckets.RECORDS);
            assertThat(info.getStreamState().getByteCount()).isLessThanOrEqualTo(limit);
            assertThat(unreplicated(a)).isZero();
            assertThat(a.get(FN + "/invocations/" + ids.get(0)).statusCode()).isEqualTo(200);
            try (TestHost b = node(nats, "b")) {
                String newest = ids.get(ids.size() - 1);
                TestHost.await(
                        "the newest record on b",
                        WAIT,
                        () -> b.get(FN + "/invocations/" + newest).statusCode() == 200);
                assertThat(b.get(FN + "/invocations/" + ids.get(0)).statusCode())
                        .as("dropped from the stream before b read it")
                        .isEqualTo(404);
                assertThat(invoke(b, "1still serving")).isNotEmpty();
            }
        }
    }

    private static long firstSequence(JetStreamManagement jsm) {
        try {
            return jsm.getStreamInfo(Buckets.RECORDS).getStreamState().getFirstSequence();
        } catch (IOException | JetStreamApiException e) {
            return 0;
        }
    }

    private TestHost node(NatsServers nats, String name) {
        return TestHost.start(
                dir.resolve("node-" + name), c -> c.cluster(nats.settings("z", name)));
    }

    private static String invoke(TestHost node, String payload) {
        HttpResponse<byte[]> r = node.invoke("s", "log", payload);
        assertThat(r.statusCode())
                .as(text(r))
                .isEqualTo(payload.startsWith("x") ? r.statusCode() : 200);
        return r.headers().firstValue("X-Kiln-Request-Id").orElseThrow();
    }

    private static List<String> listed(TestHost node) {
        List<String> out = new ArrayList<>();
        for (JsonNode r : json(node.get(FN + "/invocations?limit=100")).path("invocations")) {
            out.add(r.path("requestId").asText());
        }
        return out;
    }

    private static long usage(TestHost node) {
        return json(node.get("/api/v1/usage?groupBy=function"))
                .path("totals")
                .path("invocations")
                .asLong();
    }

    private static long statsCount(TestHost node) {
        Instant from = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(1, ChronoUnit.HOURS);
        String q = "?step=1h&from=" + from + "&to=" + from.plus(3, ChronoUnit.HOURS);
        long count = 0;
        for (JsonNode p : json(node.get(FN + "/stats" + q)).path("points")) {
            count += p.path("count").asLong();
        }
        return count;
    }

    private static long unreplicated(TestHost node) {
        return text(node.get("/metrics"))
                .lines()
                .filter(l -> l.startsWith("kiln_records_unreplicated_total "))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(l.indexOf(' ') + 1)))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no kiln_records_unreplicated_total"));
    }

    /** {@code logs?follow=true} on one node, its {@code data:} lines as JSON. */
    private static final class Follower implements AutoCloseable {
        private final HttpClient client = HttpClient.newHttpClient();
        private final BlockingQueue<JsonNode> lines = new LinkedBlockingQueue<>();
        private final Thread reader;

        Follower(TestHost node) throws Exception {
            HttpResponse<Stream<String>> r =
                    client.send(
                            node.admin(FN + "/logs?follow=true")
                                    .header("Accept", "text/event-stream")
                                    .GET()
                                    .build(),
                            HttpResponse.BodyHandlers.ofLines());
            assertThat(r.statusCode()).isEqualTo(200);
            reader =
                    Thread.ofVirtual()
                            .start(
                                    () ->
                                            r.body()
                                                    .filter(l -> l.startsWith("data:"))
                                                    .forEach(
                                                            l -> {
                                                                try {
                                                                    lines.add(
                                                                            JSON.readTree(
                                                                                    l.substring(5)
                                                                                            .trim()));
                                                                } catch (Exception e) {
                                                                    throw new AssertionError(e);
                                                                }
                                                            }));
        }

        JsonNode next() throws InterruptedException {
            return lines.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        }

        @Override
        public void close() {
            reader.interrupt();
            client.shutdownNow();
        }
    }
}
