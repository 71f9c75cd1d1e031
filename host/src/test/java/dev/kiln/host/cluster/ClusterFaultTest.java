package dev.kiln.host.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.cluster.FaultLoad.Node;
import dev.kiln.host.cluster.FaultLoad.Outcome;
import dev.kiln.host.config.ClusterSettings;
import dev.kiln.host.events.EventLimits;
import dev.kiln.host.kv.KvLimits;
import dev.kiln.host.testing.NatsServers;
import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults under load (issue 22 item 7): three nats-server processes with JetStream and three Kiln
 * nodes on loopback, client threads invoking every node synchronously and posting async invocations
 * ({@link FaultLoad}). The node that is killed is a child process ({@code kill -9} by PID), the
 * survivors run in this JVM. Each test prints one line {@code cluster-fault: <name> …} with its
 * numbers (docs/CLUSTER.md, "Failure behaviour (measured)") and asserts that no acknowledged async
 * invocation is lost. Bounds are generous: two shared cores.
 */
@Tag("slow") // real processes, kill -9, and JetStream's 15 s ack wait
class ClusterFaultTest {
    @TempDir Path dir;

    final HttpClient http =
            HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(3))
                    .build();

    TestHost node(NatsServers nats, List<String> urls, String zone, String name) {
        return TestHost.start(
                dir.resolve("node-" + name),
                c ->
                        c.cluster(
                                        new ClusterSettings(urls, zone, name)
                                                .withSecretsKey(nats.secretsKey()))
                                .kvLimits(
                                        new KvLimits(
                                                FaultLoad.MAX_KEYS,
                                                KvLimits.DEFAULT_MAX_BYTES_PER_SERVICE))
                                .eventLimits(
                                        EventLimits.DEFAULTS.toBuilder()
                                                .retryBaseDelay(Duration.ofMillis(200))
                                                .retryMaxDelay(Duration.ofSeconds(2))
                                                .build()));
    }

    Process child(NatsServers nats, List<String> urls, String zone, String name) throws Exception {
        return ClusterProcessTest.kiln(
                        dir.resolve("node-" + name),
                        dir.resolve(name + ".log"),
                        "--cluster",
                        String.join(",", urls),
                        "--zone",
                        zone,
                        "--node-name",
                        name,
                        "--secrets-key",
                        nats.secretsKey().toString(),
                        "--kv-max-keys-per-service",
                        Integer.toString(FaultLoad.MAX_KEYS))
                .start();
    }

    /** The child's port, once it answers the function deployed before it started. */
    int serving(Process child) throws Exception {
        int port = ClusterProcessTest.listeningPort(child);
        TestHost.await(
                "the child node to run echo",
                Duration.ofSeconds(30),
                () -> {
                    try {
                        return http.send(
                                                HttpRequest.newBuilder(
                                                                URI.create(
                                                                        "http://127.0.0.1:"
                                                                                + port
                                                                                + FaultLoad.FN
                                                                                + "echo/invoke"))
                                                        .header(
                                                                "Authorization",
                                                                "Bearer " + TestHost.TOKEN)
                                                        .POST(
                                                                HttpRequest.BodyPublishers.ofString(
                                                                        "hi"))
                                                        .build(),
                                                HttpResponse.BodyHandlers.discarding())
                                        .statusCode()
                                == 200;
                    } catch (java.io.IOException e) {
                        return false;
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return false;
                    }
                });
        return port;
    }

    static void kill(Process p) throws InterruptedException {
        ProcessHandle.of(p.pid()).ifPresent(ProcessHandle::destroyForcibly);
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
    }

    static Node node(String name, TestHost host) {
        return new Node(name, host.host().port());
    }

    @Test
    void aKilnNodeKilledUnderLoad() throws Exception {
        try (NatsServers nats = NatsServers.start(Files.createDirectories(dir.resolve("nats")), 3);
                TestHost a = node(nats, nats.urlList(), "zone-1", "a");
                TestHost b = node(nats, nats.urlList(), "zone-1", "b")) {
            FaultLoad.deploy(a);
            Process c = child(nats, nats.urlList(), "zone-1", "c");
            try {
                int cPort = serving(c);
                var load =
                        new FaultLoad(List.of(node("a", a), node("b", b), new Node("c", cPort)))
                                .start(2);
                try {
                    Thread.sleep(5_000);
                    kill(c);
                    load.fault("c");
                    Thread.sleep(8_000);
                } finally {
                    load.stop();
                }
                long byC = load.acknowledged.values().stream().filter("c"::equals).count();
                Outcome o =
                        load.outcome(
                                a.host().port(), Duration.ofSeconds(60), Duration.ofSeconds(30));
                System.out.println(
                        "cluster-fault: kiln-node-kill acknowledged_by_killed="
                                + byC
                                + " "
                                + load.summary(o));
                assertThat(byC).as("events acknowledged by the killed node").isPositive();
                assertThat(o.lost())
                        .as(
                                "acknowledged events that never ran\n%s",
                                load.explain(o, a.host().port()))
                        .isZero();
                assertThat(load.failoverMs).as("clients of c served elsewhere").hasSize(2);
                assertThat(load.failoverMs()).isLessThan(10_000);
                assertThat(load.longestGapMs()).as("sync gap").isLessThan(10_000);
                assertThat(load.survivorFailures.get()).as("failures on a and b").isZero();
            } finally {
                c.destroyForcibly();
            }
        }
    }

    @Test
    void theEventsStreamLeaderKilledWhileEventsArePosted() throws Exception {
        try (NatsServers nats = NatsServers.start(Files.createDirectories(dir.resolve("nats")), 3);
                TestHost a = node(nats, nats.urlList(), "zone-1", "a");
                TestHost b = node(nats, nats.urlList(), "zone-1", "b")) {
            FaultLoad.deploy(a);
            var load = new FaultLoad(List.of(node("a", a), node("b", b))).start(4);
            String leader;
            String newLeader;
            try {
                Thread.sleep(4_000);
                leader = streamLeader(nats.urlList());
                int index = Integer.parseInt(leader.substring(1)) - 1;
                nats.server(index).kill();
                load.fault();
                List<String> rest =
                        nats.urlList().stream()
                                .filter(u -> !u.equals(nats.server(index).url()))
                                .toList();
                Thread.sleep(25_000);
                newLeader = streamLeader(rest);
            } finally {
                load.stop();
            }
            Outcome o =
                    load.outcome(a.host().port(), Duration.ofSeconds(60), Duration.ofSeconds(30));
            System.out.println(
                    "cluster-fault: stream-leader-kill leader="
                            + leader
                            + " new_leader="
                            + newLeader
                            + " "
                            + load.summary(o));
            assertThat(newLeader).isNotEqualTo(leader);
            assertThat(o.lost())
                    .as(
                            "acknowledged events that never ran\n%s%s",
                            load.explain(o, a.host().port()), eventsState(nats.urlList()))
                    .isZero();
            assertThat(load.acceptedAfterFault()).isPositive();
            assertThat(load.longestAcceptGapMs()).as("stall").isLessThan(30_000);
            assertThat(load.longestGapMs()).as("sync gap").isLessThan(10_000);
        }
    }

    @Test
    void aZoneKilled() throws Exception {
        try (NatsServers nats =
                NatsServers.start(Files.createDirectories(dir.resolve("nats")), 3)) {
            List<String> u = nats.urlList();
            try (TestHost b = node(nats, List.of(u.get(1), u.get(2), u.get(0)), "zone-2", "b");
                    TestHost c = node(nats, List.of(u.get(2), u.get(0), u.get(1)), "zone-3", "c")) {
                FaultLoad.deploy(b);
                Process a = child(nats, u, "zone-1", "a");
                try {
                    int aPort = serving(a);
                    var load =
                            new FaultLoad(List.of(new Node("a", aPort), node("b", b), node("c", c)))
                                    .start(2);
                    long deployMs;
                    long invocableMs;
                    try {
                        Thread.sleep(5_000);
                        // zone-1: its NATS server and its Kiln node, at once
                        ProcessHandle.of(a.pid()).ifPresent(ProcessHandle::destroyForcibly);
                        nats.server(0).kill();
                        load.fault("a");
                        kill(a);
                        Thread.sleep(3_000);
                        long t0 = System.nanoTime();
                        TestHost.await(
                                "a deploy accepted in zone-2",
                                Duration.ofSeconds(60),
                                () ->
                                        b.deploy(
                                                                FaultLoad.SERVICE,
                                                                "echo",
                                                                Wat.fixture("uppercase"))
                                                        .statusCode()
                                                == 200);
                        deployMs = (System.nanoTime() - t0) / 1_000_000;
                        // Measured, not asserted: a survivor whose registry watch lived on the
                        // dead server needs a new one, which nats-server 2.9 may not create for
                        // a minute or more (docs/CLUSTER.md, "Failure behaviour (measured)").
                        invocableMs = untilBothAnswer(b, c, Duration.ofSeconds(60));
                        // load for 20 s after the fault: async acceptance has come back by then
                        long left = load.faultAt() + 20_000_000_000L - System.nanoTime();
                        Thread.sleep(Math.max(2_000, left / 1_000_000));
                    } finally {
                        load.stop();
                    }
                    Outcome o =
                            load.outcome(
                                    b.host().port(),
                                    Duration.ofSeconds(60),
                                    Duration.ofSeconds(30));
                    System.out.println(
                            "cluster-fault: zone-kill deploy_after_ms="
                                    + deployMs
                                    + " deploy_everywhere_ms="
                                    + invocableMs
                                    + " "
                                    + load.summary(o));
                    assertThat(o.lost())
                            .as(
                                    "acknowledged events that never ran\n%s",
                                    load.explain(o, b.host().port()))
                            .isZero();
                    assertThat(load.acceptedAfterFault()).isPositive();
                    assertThat(load.failoverMs).as("clients of zone-1 served elsewhere").hasSize(2);
                    assertThat(load.longestGapMs()).as("sync gap").isLessThan(10_000);
                    assertThat(load.longestAcceptGapMs()).as("stall").isLessThan(30_000);
                } finally {
                    a.destroyForcibly();
                }
            }
        }
    }

    /** Millis until both nodes run the uppercase version of echo, or -1 after {@code wait}. */
    static long untilBothAnswer(TestHost b, TestHost c, Duration wait) throws InterruptedException {
        long t0 = System.nanoTime();
        while (System.nanoTime() - t0 < wait.toNanos()) {
            if ("ABC".equals(TestHost.text(b.invoke(FaultLoad.SERVICE, "echo", "abc")))
                    && "ABC".equals(TestHost.text(c.invoke(FaultLoad.SERVICE, "echo", "abc")))) {
                return (System.nanoTime() - t0) / 1_000_000;
            }
            Thread.sleep(50);
        }
        return -1;
    }

    /** The server that leads the events stream, e.g. {@code n2}; retried through an election. */
    static String streamLeader(List<String> urls) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            Connection nc = null;
            try {
                nc = connect(urls);
                var info = nc.jetStreamManagement().getStreamInfo(Buckets.EVENTS);
                String leader = info.getClusterInfo().getLeader();
                if (leader != null && !leader.isEmpty()) {
                    return leader;
                }
            } catch (java.io.IOException | io.nats.client.JetStreamApiException e) {
                last = e;
            } finally {
                if (nc != null) {
                    nc.close();
                }
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("no leader of " + Buckets.EVENTS, last);
    }

    private static Connection connect(List<String> urls)
            throws java.io.IOException, InterruptedException {
        return Nats.connect(
                new Options.Builder()
                        .servers(urls.toArray(String[]::new))
                        .connectionTimeout(Duration.ofSeconds(2))
                        .build());
    }

    /** What JetStream says of the events stream and its consumer, for a failure's message. */
    static String eventsState(List<String> urls) throws InterruptedException {
        Connection nc = null;
        try {
            nc = connect(urls);
            var jsm = nc.jetStreamManagement();
            var s = jsm.getStreamInfo(Buckets.EVENTS);
            var c = jsm.getConsumerInfo(Buckets.EVENTS, Buckets.DISPATCH);
            return "stream: leader="
                    + s.getClusterInfo().getLeader()
                    + " first="
                    + s.getStreamState().getFirstSequence()
                    + " last="
                    + s.getStreamState().getLastSequence()
                    + " msgs="
                    + s.getStreamState().getMsgCount()
                    + "\nconsumer: leader="
                    + c.getClusterInfo().getLeader()
                    + " delivered="
                    + c.getDelivered().getStreamSequence()
                    + " ack_floor="
                    + c.getAckFloor().getStreamSequence()
                    + " pending="
                    + c.getNumPending()
                    + " ack_pending="
                    + c.getNumAckPending()
                    + " redelivered="
                    + c.getRedelivered()
                    + " waiting="
                    + c.getNumWaiting();
        } catch (java.io.IOException | io.nats.client.JetStreamApiException e) {
            return "JetStream state unreadable: " + e;
        } finally {
            if (nc != null) {
                nc.close();
            }
        }
    }
}
