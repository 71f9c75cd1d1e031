package dev.kiln.host.cluster;

import static dev.kiln.host.testing.TestHost.await;
import static dev.kiln.host.testing.TestHost.json;
import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.host.events.EventLimits;
import dev.kiln.host.testing.Closing;
import dev.kiln.host.testing.NatsServers;
import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Nats;
import io.nats.client.api.StreamInfo;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two Kiln nodes sharing one JetStream events stream (docs/adr/0053): an event accepted on one node
 * runs once on some node, with the retries, dead letters and re-drive of a single node, visible
 * from either node; one request id published twice runs once; async settings, subscriptions and
 * timers made on one node are every node's (docs/adr/0054), and a timer fires once per scheduled
 * time.
 */
class ClusterAsyncTest {
    static final String FN = "/api/v1/services/jobs/functions/";
    static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir static Path dir;
    static NatsServers nats;
    static TestHost a;
    static TestHost b;
    static Connection watcher;

    @BeforeAll
    static void start() throws Exception {
        nats = NatsServers.start(Files.createDirectories(dir.resolve("nats")), 1);
        a = node("a");
        b = node("b");
        watcher = Nats.connect(nats.server(0).url());
    }

    static TestHost node(String name) {
        return TestHost.start(
                dir.resolve("node-" + name),
                c ->
                        c.cluster(nats.settings("zone-1", name))
                                .eventLimits(
                                        EventLimits.DEFAULTS.toBuilder()
                                                .asyncWorkers(2)
                                                .retryBaseDelay(Duration.ofMillis(20))
                                                .retryMaxDelay(Duration.ofMillis(100))
                                                .throttleDelay(Duration.ofMillis(20))
                                                .build()));
    }

    @AfterAll
    static void stop() throws Exception {
        if (watcher != null) {
            watcher.close();
        }
        Closing.all(a, b, nats);
    }

    /** A queue figure of {@code function}, summed over both nodes (each counts what it ran). */
    static int sum(String function, String field) {
        return json(a.get(FN + function + "/queue")).path(field).asInt()
                + json(b.get(FN + function + "/queue")).path(field).asInt();
    }

    static StreamInfo events() throws Exception {
        return watcher.jetStreamManagement().getStreamInfo("KILN_EVENTS");
    }

    @Test
    void anEventAcceptedOnOneNodeIsRetriedDeadLetteredAndRedrivenAcrossTheCluster() {
        assertThat(a.deploy("jobs", "flaky", Wat.fixture("fail_if_configured")).statusCode())
                .isEqualTo(201);
        assertThat(a.patch("jobs", "flaky", "{\"env\":{\"FAIL\":\"1\"}}").statusCode())
                .isEqualTo(200);
        // async settings are the cluster's (docs/adr/0054): set on a, honoured by whichever node
        // runs an attempt
        var cfg = a.sendJson("PUT", FN + "flaky/async-config", "{\"maxAttempts\":3}");
        assertThat(cfg.statusCode()).as(text(cfg)).isEqualTo(200);
        assertThat(json(b.get(FN + "flaky/async-config")).path("maxAttempts").asInt()).isEqualTo(3);

        HttpResponse<byte[]> accepted = a.invokeAsync("jobs", "flaky", "{\"n\":1}");
        assertThat(accepted.statusCode()).as(text(accepted)).isEqualTo(202);
        String id = json(accepted).path("requestId").asText();

        await(
                "a dead letter seen from node b",
                WAIT,
                () -> json(b.get(FN + "flaky/dead-letters")).path("deadLetters").size() == 1);
        JsonNode dl = json(b.get(FN + "flaky/dead-letters/" + id));
        assertThat(dl.path("attempts").asInt()).isEqualTo(3);
        assertThat(dl.path("reason").asText()).isEqualTo("retries_exhausted");
        assertThat(dl.path("error").asText()).isEqualTo("guest_error");
        assertThat(dl.path("message").asText()).isEqualTo("configured to fail");
        assertThat(dl.path("payload").asText()).isEqualTo("{\"n\":1}");
        // the same list from the node that accepted it
        assertThat(json(a.get(FN + "flaky/queue")).path("deadLetters").asInt()).isEqualTo(1);
        await(
                "the attempts' outcomes to be counted",
                WAIT,
                () -> sum("flaky", "attempts") == 3 && sum("flaky", "deadLettered") == 1);
        assertThat(sum("flaky", "retried")).isEqualTo(2);
        assertThat(json(b.get(FN + "flaky/queue")).path("depth").asInt()).isZero();

        // fixed, then re-driven from the other node: it runs again, once, and succeeds
        assertThat(b.patch("jobs", "flaky", "{\"env\":{\"FAIL\":null}}").statusCode())
                .isEqualTo(200);
        HttpResponse<byte[]> redriven =
                b.send(
                        b.admin(FN + "flaky/dead-letters/" + id + "/redrive")
                                .POST(HttpRequest.BodyPublishers.noBody())
                                .build());
        assertThat(redriven.statusCode()).as(text(redriven)).isEqualTo(200);
        assertThat(json(redriven).path("redriven").asInt()).isEqualTo(1);
        await("the re-driven event to succeed", WAIT, () -> sum("flaky", "succeeded") == 1);
        assertThat(json(a.get(FN + "flaky/dead-letters")).path("deadLetters").size()).isZero();
        assertThat(json(a.get(FN + "flaky/queue")).path("depth").asInt()).isZero();
        assertThat(sum("flaky", "attempts")).isEqualTo(4);
    }

    @Test
    void aTopicFansOutThroughTheStreamAndDestinationsFollow() {
        for (String f : new String[] {"sub1", "sub2", "done"}) {
            assertThat(a.deploy("jobs", f, Wat.fixture("echo")).statusCode()).isEqualTo(201);
        }
        var cfg =
                a.sendJson(
                        "PUT",
                        FN + "sub1/async-config",
                        "{\"onSuccess\":{\"type\":\"function\",\"function\":\"done\"}}");
        assertThat(cfg.statusCode()).as(text(cfg)).isEqualTo(200);
        for (String f : new String[] {"sub1", "sub2"}) {
            var t =
                    a.sendJson(
                            "POST",
                            FN + f + "/triggers",
                            "{\"type\":\"topic\",\"topic\":\"orders\"}");
            assertThat(t.statusCode()).as(text(t)).isEqualTo(201);
        }
        // subscribed on a, published on b: the subscriptions are the cluster's (docs/adr/0054)
        var published =
                b.send(
                        b.admin("/api/v1/topics/orders/events")
                                .POST(HttpRequest.BodyPublishers.ofString("{\"id\":7}"))
                                .build());
        assertThat(published.statusCode()).as(text(published)).isEqualTo(202);

        await(
                "both subscribers and the destination to run",
                WAIT,
                () ->
                        sum("sub1", "succeeded") == 1
                                && sum("sub2", "succeeded") == 1
                                && sum("done", "succeeded") == 1);
        for (String f : new String[] {"sub1", "sub2", "done"}) {
            assertThat(json(b.get(FN + f + "/queue")).path("depth").asInt()).as(f).isZero();
            assertThat(sum(f, "attempts")).as(f).isEqualTo(1);
        }
    }

    @Test
    void oneRequestIdEnqueuedOnTwoNodesIsStoredAndRunOnce() throws Exception {
        assertThat(a.deploy("jobs", "echo", Wat.fixture("echo")).statusCode()).isEqualTo(201);
        long before = events().getStreamState().getLastSequence();
        byte[] payload = "once".getBytes(StandardCharsets.UTF_8);

        a.host()
                .events()
                .invokeAsync("req-once-1", "jobs", "echo", payload)
                .get(10, TimeUnit.SECONDS);
        b.host()
                .events()
                .invokeAsync("req-once-1", "jobs", "echo", payload)
                .get(10, TimeUnit.SECONDS);

        // JetStream stored one message for the two acknowledged publishes
        assertThat(events().getStreamState().getLastSequence()).isEqualTo(before + 1);
        await(
                "the event to run",
                WAIT,
                () ->
                        sum("echo", "succeeded") == 1
                                && json(b.get(FN + "echo/queue")).path("depth").asInt() == 0);
        // the record of its one attempt, made by the node that ran it, is on both (ADR 0057)
        a.host().flushRecords();
        b.host().flushRecords();
        java.util.Set<String> ranOn = new java.util.HashSet<>();
        for (TestHost n : new TestHost[] {a, b}) {
            await(
                    "the record on each node",
                    WAIT,
                    () -> n.get(FN + "echo/invocations/req-once-1").statusCode() == 200);
            HttpResponse<byte[]> r = n.get(FN + "echo/invocations/req-once-1");
            assertThat(json(r).path("outcome").asText()).isEqualTo("ok");
            assertThat(json(r).path("attempt").asInt()).isEqualTo(1);
            assertThat(json(r).path("trigger").asText()).isEqualTo("invoke");
            ranOn.add(json(r).path("node").asText());
        }
        assertThat(ranOn).hasSize(1).containsAnyOf("a", "b");
        assertThat(sum("echo", "attempts")).isEqualTo(1);
    }

    @Test
    void aTimerCreatedOnOneNodeFiresOncePerScheduledTimeAcrossTheCluster() throws Exception {
        assertThat(a.deploy("jobs", "tick", Wat.fixture("echo")).statusCode()).isEqualTo(201);
        // Witness: every publish of a fire, as a core subscriber sees it (duplicates included),
        // by message id = timer and scheduled time.
        Map<String, AtomicInteger> publishes = new ConcurrentHashMap<>();
        Dispatcher d =
                watcher.createDispatcher(
                        m -> {
                            String msgId =
                                    m.getHeaders() == null
                                            ? null
                                            : m.getHeaders().getFirst("Nats-Msg-Id");
                            if (msgId != null) {
                                publishes
                                        .computeIfAbsent(msgId, k -> new AtomicInteger())
                                        .incrementAndGet();
                            }
                        });
        d.subscribe("kiln.events.jobs.tick");
        watcher.flush(Duration.ofSeconds(5));
        long before = events().getStreamState().getLastSequence();
        String timer = "{\"id\":\"every-second\",\"type\":\"timer\",\"cron\":\"* * * * * *\"}";
        // created on a only: both nodes hold it (docs/adr/0054) and may both try each fire
        var t = a.sendJson("POST", FN + "tick/triggers", timer);
        assertThat(t.statusCode()).as(text(t)).isEqualTo(201);
        var again = b.sendJson("POST", FN + "tick/triggers", timer);
        assertThat(again.statusCode()).as(text(again)).isEqualTo(400);
        await("three fires", WAIT, () -> sum("tick", "succeeded") >= 3);
        // disabled on the other node: no node fires it any more
        var off = b.sendJson("PATCH", FN + "tick/triggers/every-second", "{\"enabled\":false}");
        assertThat(off.statusCode()).as(text(off)).isEqualTo(200);
        // Every scheduled time published (by either node, maybe both) was stored once and ran
        // once: runs = stored messages = distinct fire ids.
        await(
                "every stored fire to run",
                WAIT,
                () ->
                        json(a.get(FN + "tick/queue")).path("depth").asInt() == 0
                                && sum("tick", "succeeded") == publishes.size()
                                && lastSequence() - before == publishes.size());
        watcher.closeDispatcher(d);
        assertThat(publishes.keySet()).allMatch(k -> k.startsWith("timer:jobs/tick/every-second@"));
        assertThat(sum("tick", "attempts")).isEqualTo(publishes.size());
    }

    static long lastSequence() {
        try {
            return events().getStreamState().getLastSequence();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
