package dev.kiln.host.events;

import static dev.kiln.host.testing.TestHost.await;
import static dev.kiln.host.testing.TestHost.errorCode;
import static dev.kiln.host.testing.TestHost.json;
import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Asynchronous invocation over real sockets: acknowledgement, retries, dead letters, bounds. */
class AsyncInvocationTest {
    static final String FN = "/api/v1/services/demo/functions/";
    static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir Path data;
    TestHost kiln;

    @BeforeEach
    void start() {
        kiln =
                TestHost.start(
                        data,
                        b ->
                                b.eventLimits(
                                        EventLimits.DEFAULTS.toBuilder()
                                                // As on a 2-core machine, whatever this one has:
                                                // the dispatcher leases ahead by a multiple of it.
                                                .asyncWorkers(2)
                                                .retryBaseDelay(Duration.ofMillis(20))
                                                .retryMaxDelay(Duration.ofMillis(100))
                                                .throttleDelay(Duration.ofMillis(20))
                                                .maxEventBytes(64 * 1024)
                                                .build()));
    }

    @AfterEach
    void stop() {
        kiln.close();
    }

    /** The invocation record of {@code requestId}, once it satisfies {@code done}. */
    JsonNode record(
            String function, String requestId, java.util.function.Predicate<JsonNode> done) {
        JsonNode[] out = {null};
        await(
                "the record of " + requestId,
                WAIT,
                () -> {
                    var r = kiln.get(FN + function + "/invocations/" + requestId);
                    if (r.statusCode() != 200) {
                        return false;
                    }
                    out[0] = json(r);
                    return done.test(out[0]);
                });
        return out[0];
    }

    @Test
    void anAsyncInvokeIsAcknowledgedWith202ThenRunAndRecorded() {
        kiln.deploy("demo", "echo", Wat.fixture("echo"));
        var r = kiln.invokeAsync("demo", "echo", "later");
        assertThat(r.statusCode()).isEqualTo(202);
        String id = r.headers().firstValue("X-Kiln-Request-Id").orElseThrow();
        assertThat(json(r).path("requestId").asText()).isEqualTo(id);
        assertThat(json(r).path("status").asText()).isEqualTo("queued");

        JsonNode rec = record("echo", id, x -> true);
        assertThat(rec.path("outcome").asText()).isEqualTo("ok");
        assertThat(rec.path("attempt").asInt()).isEqualTo(1);
        assertThat(rec.path("trigger").asText()).isEqualTo("invoke");
        assertThat(rec.path("bytesIn").asInt()).isEqualTo(5);

        await(
                "the queue to drain",
                WAIT,
                () -> json(kiln.get(FN + "echo/queue")).path("succeeded").asInt() == 1);
        JsonNode q = json(kiln.get(FN + "echo/queue"));
        assertThat(q.path("depth").asInt()).isZero();
        assertThat(q.path("attempts").asInt()).isEqualTo(1);
        assertThat(q.path("oldestAgeMs").asInt()).isZero();
        assertThat(q.path("maxQueuedEvents").asInt()).isEqualTo(10_000);

        // The synchronous path is unchanged, and its records say attempt 0.
        var sync = kiln.invoke("demo", "echo", "now");
        assertThat(text(sync)).isEqualTo("now");
        String syncId = sync.headers().firstValue("X-Kiln-Request-Id").orElseThrow();
        assertThat(record("echo", syncId, x -> true).path("attempt").asInt()).isZero();
    }

    @Test
    void aFailingEventIsRetriedThenDeadLetteredAndCanBeRedriven() {
        kiln.deploy("demo", "flaky", Wat.fixture("fail_if_configured"));
        kiln.patch("demo", "flaky", "{\"env\":{\"FAIL\":\"1\"}}");
        var cfg = kiln.sendJson("PUT", FN + "flaky/async-config", "{\"maxAttempts\":3}");
        assertThat(cfg.statusCode()).isEqualTo(200);
        assertThat(json(cfg).path("maxAttempts").asInt()).isEqualTo(3);
        assertThat(json(cfg).path("deadLetter").path("type").asText()).isEqualTo("list");

        String id = json(kiln.invokeAsync("demo", "flaky", "{\"n\":1}")).path("requestId").asText();
        await(
                "a dead letter",
                WAIT,
                () -> json(kiln.get(FN + "flaky/dead-letters")).path("deadLetters").size() == 1);
        JsonNode dl = json(kiln.get(FN + "flaky/dead-letters/" + id));
        assertThat(dl.path("attempts").asInt()).isEqualTo(3);
        assertThat(dl.path("reason").asText()).isEqualTo("retries_exhausted");
        assertThat(dl.path("error").asText()).isEqualTo("guest_error");
        assertThat(dl.path("message").asText()).isEqualTo("configured to fail");
        assertThat(dl.path("payload").asText()).isEqualTo("{\"n\":1}");

        JsonNode rec = record("flaky", id, x -> x.path("attempt").asInt() == 3);
        assertThat(rec.path("outcome").asText()).isEqualTo("guest_error");

        JsonNode q = json(kiln.get(FN + "flaky/queue"));
        assertThat(q.path("deadLetters").asInt()).isEqualTo(1);
        assertThat(q.path("deadLettered").asInt()).isEqualTo(1);
        assertThat(q.path("attempts").asInt()).isEqualTo(3);
        assertThat(q.path("retried").asInt()).isEqualTo(2);

        // Heal the function and re-drive: the event runs again from attempt 1.
        kiln.patch("demo", "flaky", "{\"env\":{\"FAIL\":null}}");
        var redrive =
                kiln.send(
                        kiln.admin(FN + "flaky/dead-letters/" + id + "/redrive")
                                .POST(HttpRequest.BodyPublishers.noBody())
                                .build());
        assertThat(redrive.statusCode()).isEqualTo(200);
        assertThat(json(redrive).path("redriven").asInt()).isEqualTo(1);
        JsonNode healed = record("flaky", id, x -> x.path("outcome").asText().equals("ok"));
        assertThat(healed.path("attempt").asInt()).isEqualTo(1);
        assertThat(json(kiln.get(FN + "flaky/dead-letters")).path("deadLetters")).isEmpty();
        assertThat(kiln.get(FN + "flaky/dead-letters/" + id).statusCode()).isEqualTo(404);
    }

    @Test
    void aRetryCanSucceed() {
        kiln.deploy("demo", "flaky", Wat.fixture("fail_if_configured"));
        kiln.patch("demo", "flaky", "{\"env\":{\"FAIL\":\"1\"}}");
        kiln.sendJson("PUT", FN + "flaky/async-config", "{\"maxAttempts\":100}");
        String id = json(kiln.invokeAsync("demo", "flaky", "x")).path("requestId").asText();
        record("flaky", id, x -> x.path("attempt").asInt() >= 2);
        kiln.patch("demo", "flaky", "{\"env\":{\"FAIL\":null}}");
        JsonNode rec = record("flaky", id, x -> x.path("outcome").asText().equals("ok"));
        assertThat(rec.path("attempt").asInt()).isGreaterThanOrEqualTo(2);
        assertThat(json(kiln.get(FN + "flaky/dead-letters")).path("deadLetters")).isEmpty();
    }

    @Test
    void anEventPastItsMaximumAgeIsDeadLettered() {
        kiln.deploy("demo", "flaky", Wat.fixture("fail_if_configured"));
        kiln.patch("demo", "flaky", "{\"env\":{\"FAIL\":\"1\"}}");
        kiln.sendJson(
                "PUT", FN + "flaky/async-config", "{\"maxAttempts\":100,\"maxEventAgeSeconds\":1}");
        String id = json(kiln.invokeAsync("demo", "flaky", "x")).path("requestId").asText();
        await(
                "a dead letter",
                WAIT,
                () -> kiln.get(FN + "flaky/dead-letters/" + id).statusCode() == 200);
        JsonNode dl = json(kiln.get(FN + "flaky/dead-letters/" + id));
        assertThat(dl.path("reason").asText()).isEqualTo("event_age_exceeded");
        assertThat(dl.path("attempts").asInt()).isBetween(2, 99);
    }

    @Test
    void destinationsGetARecordOfSuccessAndFailure() {
        for (String f : List.of("ok", "bad", "dlq", "successes", "failures")) {
            kiln.deploy("demo", f, Wat.fixture(f.equals("bad") ? "trap" : "echo"));
        }
        assertThat(
                        kiln.sendJson(
                                        "PUT",
                                        FN + "ok/async-config",
                                        "{\"onSuccess\":{\"type\":\"function\",\"function\":\"successes\"}}")
                                .statusCode())
                .isEqualTo(200);
        assertThat(
                        kiln.sendJson(
                                        "PUT",
                                        FN + "bad/async-config",
                                        "{\"maxAttempts\":2,"
                                            + "\"deadLetter\":{\"type\":\"function\",\"service\":\"demo\",\"function\":\"dlq\"},"
                                            + "\"onFailure\":{\"type\":\"function\",\"function\":\"failures\"}}")
                                .statusCode())
                .isEqualTo(200);
        kiln.invokeAsync("demo", "ok", "{\"a\":1}");
        kiln.invokeAsync("demo", "bad", "{\"b\":2}");
        for (String f : List.of("successes", "dlq", "failures")) {
            await(
                    f + " to be invoked",
                    WAIT,
                    () -> json(kiln.get(FN + f + "/invocations")).path("invocations").size() == 1);
            JsonNode rec = json(kiln.get(FN + f + "/invocations")).path("invocations").get(0);
            assertThat(rec.path("trigger").asText()).isEqualTo("event");
            assertThat(rec.path("outcome").asText()).isEqualTo("ok");
        }
        // Sent on to a function, the dead letter is not also kept in the list.
        assertThat(json(kiln.get(FN + "bad/dead-letters")).path("deadLetters")).isEmpty();
        assertThat(json(kiln.get(FN + "bad/queue")).path("deadLettered").asInt()).isEqualTo(1);
    }

    @Test
    void aSlowCappedFunctionsBacklogDoesNotDelayAnotherFunction() {
        kiln.deploy("demo", "slow", Wat.fixture("sleepy"));
        kiln.patch("demo", "slow", "{\"maxConcurrency\":1,\"fuel\":1000000000000}");
        kiln.deploy("demo", "quick", Wat.fixture("echo"));
        // 100 events of 300 ms each, one at a time: half a minute of work, all older than the
        // other function's event, and more than the dispatcher looks at in one lease.
        for (int i = 0; i < 100; i++) {
            assertThat(kiln.invokeAsync("demo", "slow", "300").statusCode()).isEqualTo(202);
        }
        long queuedAt = System.nanoTime();
        String id = json(kiln.invokeAsync("demo", "quick", "hi")).path("requestId").asText();
        JsonNode rec = record("quick", id, x -> true);
        Duration waited = Duration.ofNanos(System.nanoTime() - queuedAt);
        assertThat(rec.path("outcome").asText()).isEqualTo("ok");
        // The second async worker is free all along: the event runs at once, not after the
        // slow backlog has drained below one lease window (15 s before the fix).
        assertThat(waited).isLessThan(Duration.ofSeconds(6));
        assertThat(json(kiln.get(FN + "slow/queue")).path("depth").asInt()).isGreaterThan(50);
    }

    @Test
    void attemptsAreCountedOnlyWithTheCompletionTheQueueStored() throws Exception {
        kiln.deploy("demo", "echo", Wat.fixture("echo"));
        int n = 300;
        // Every attempt succeeds, so at no moment may more attempts be counted than successes
        // stored: an attempt counted before its completion is stored would show up here.
        List<String> ahead = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean done = new AtomicBoolean();
        Thread watcher =
                new Thread(
                        () -> {
                            while (!done.get()) {
                                JsonNode q = json(kiln.get(FN + "echo/queue"));
                                if (q.path("attempts").asLong() > q.path("succeeded").asLong()) {
                                    ahead.add(q.toString());
                                }
                            }
                        });
        watcher.start();
        try {
            for (int i = 0; i < n; i++) {
                assertThat(kiln.invokeAsync("demo", "echo", "e" + i).statusCode()).isEqualTo(202);
            }
            await(
                    "the queue to drain",
                    Duration.ofSeconds(60),
                    () -> json(kiln.get(FN + "echo/queue")).path("succeeded").asInt() == n);
        } finally {
            done.set(true);
            watcher.join();
        }
        assertThat(ahead).isEmpty();
        assertThat(json(kiln.get(FN + "echo/queue")).path("attempts").asInt()).isEqualTo(n);
    }

    /** The value of one series on {@code GET /metrics}, or null when it is not there. */
    Double metric(String series) {
        for (String line : text(kiln.get("/metrics")).lines().toList()) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1));
            }
        }
        return null;
    }

    @Test
    void queueFiguresAreOnTheMetricsEndpoint() {
        kiln.deploy("demo", "flaky", Wat.fixture("fail_if_configured"));
        kiln.patch("demo", "flaky", "{\"env\":{\"FAIL\":\"1\"}}");
        kiln.sendJson("PUT", FN + "flaky/async-config", "{\"maxAttempts\":2}");
        kiln.deploy("demo", "slow", Wat.fixture("loop_forever"));
        kiln.patch("demo", "slow", "{\"timeoutMs\":4000,\"maxConcurrency\":1}");
        kiln.invokeAsync("demo", "flaky", "x");
        await(
                "a dead letter",
                WAIT,
                () -> json(kiln.get(FN + "flaky/queue")).path("deadLettered").asInt() == 1);
        kiln.invokeAsync("demo", "slow", "a");
        kiln.invokeAsync("demo", "slow", "b");

        String flaky = "{service=\"demo\",function=\"flaky\"";
        String slow = "{service=\"demo\",function=\"slow\"}";
        await(
                "one slow event running, one waiting",
                WAIT,
                () ->
                        Double.valueOf(2).equals(metric("kiln_event_queue_depth" + slow))
                                && Double.valueOf(1)
                                        .equals(metric("kiln_event_queue_in_flight" + slow))
                                && metric("kiln_event_queue_oldest_age_seconds" + slow) > 0);
        assertThat(metric("kiln_event_queue_depth" + flaky + "}")).isZero();
        assertThat(metric("kiln_event_dead_letters" + flaky + "}")).isEqualTo(1);
        assertThat(metric("kiln_event_attempts_total" + flaky + "}")).isEqualTo(2);
        assertThat(metric("kiln_event_results_total" + flaky + ",result=\"retried\"}"))
                .isEqualTo(1);
        assertThat(metric("kiln_event_results_total" + flaky + ",result=\"dead_lettered\"}"))
                .isEqualTo(1);
        assertThat(metric("kiln_event_results_total" + flaky + ",result=\"succeeded\"}")).isZero();
        assertThat(text(kiln.get("/metrics")))
                .contains("# TYPE kiln_event_attempts_total counter")
                .contains("# TYPE kiln_event_results_total counter")
                .contains("# TYPE kiln_event_queue_depth gauge");

        // A deleted function's series go with it.
        kiln.send(kiln.admin("/api/v1/services/demo/functions/flaky").DELETE().build());
        assertThat(text(kiln.get("/metrics"))).doesNotContain("function=\"flaky\"");
    }

    @Test
    void aFullQueueAnswersOverloadedAndTheHostKeepsServing() {
        kiln.deploy("demo", "slow", Wat.fixture("loop_forever"));
        kiln.patch("demo", "slow", "{\"timeoutMs\":3000}");
        kiln.sendJson("PUT", FN + "slow/async-config", "{\"maxQueuedEvents\":2,\"maxAttempts\":1}");
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            statuses.add(kiln.invokeAsync("demo", "slow", "x").statusCode());
        }
        assertThat(statuses).containsExactly(202, 202, 429, 429);
        var full = kiln.invokeAsync("demo", "slow", "x");
        assertThat(errorCode(full)).isEqualTo("overloaded");
        assertThat(full.headers().firstValue("Retry-After")).isPresent();
        assertThat(json(kiln.get(FN + "slow/queue")).path("depth").asInt()).isEqualTo(2);

        kiln.deploy("demo", "echo", Wat.fixture("echo"));
        assertThat(text(kiln.invoke("demo", "echo", "still here"))).isEqualTo("still here");
    }

    @Test
    void badAsyncRequestsAreRefusedWithStableCodes() {
        kiln.deploy("demo", "echo", Wat.fixture("echo"));
        var badType =
                kiln.send(
                        kiln.admin(FN + "echo/invoke")
                                .header("X-Kiln-Invocation-Type", "later")
                                .POST(HttpRequest.BodyPublishers.ofString("x"))
                                .build());
        assertThat(badType.statusCode()).isEqualTo(400);
        assertThat(errorCode(badType)).isEqualTo("bad_request");
        assertThat(errorCode(kiln.invokeAsync("demo", "nope", "x")))
                .isEqualTo("function_not_found");
        var big = kiln.invokeAsync("demo", "echo", "x".repeat(64 * 1024 + 1));
        assertThat(big.statusCode()).isEqualTo(413);
        assertThat(errorCode(big)).isEqualTo("payload_too_large");

        for (String body :
                List.of(
                        "[]",
                        "not json",
                        "{\"maxAttempts\":0}",
                        "{\"maxAttempts\":101}",
                        "{\"maxEventAgeSeconds\":999999}",
                        "{\"maxQueuedEvents\":10001}",
                        "{\"colour\":\"red\"}",
                        "{\"deadLetter\":{\"type\":\"queue\"}}",
                        "{\"deadLetter\":{\"type\":\"function\",\"function\":\"missing\"}}",
                        "{\"onSuccess\":{\"type\":\"list\"}}",
                        "{\"onFailure\":{\"type\":\"function\",\"function\":\"Bad Name\"}}")) {
            var r = kiln.sendJson("PUT", FN + "echo/async-config", body);
            assertThat(r.statusCode()).as(body).isEqualTo(400);
            assertThat(errorCode(r)).as(body).isEqualTo("bad_request");
        }
        assertThat(json(kiln.get(FN + "echo/async-config")).path("maxAttempts").asInt())
                .isEqualTo(3);
        assertThat(kiln.get(FN + "echo/events?limit=0").statusCode()).isEqualTo(400);
        assertThat(kiln.get(FN + "echo/dead-letters?before=-1").statusCode()).isEqualTo(400);
        // Everything refused, the host still serves both paths.
        assertThat(text(kiln.invoke("demo", "echo", "ok"))).isEqualTo("ok");
        assertThat(kiln.invokeAsync("demo", "echo", "ok").statusCode()).isEqualTo(202);
    }

    @Test
    void deletingAFunctionForgetsItsEventsAndSettings() {
        kiln.deploy("demo", "slow", Wat.fixture("loop_forever"));
        kiln.patch("demo", "slow", "{\"timeoutMs\":2000}");
        kiln.sendJson("PUT", FN + "slow/async-config", "{\"maxAttempts\":5}");
        for (int i = 0; i < 3; i++) {
            assertThat(kiln.invokeAsync("demo", "slow", "x").statusCode()).isEqualTo(202);
        }
        var del = kiln.send(kiln.admin("/api/v1/services/demo/functions/slow").DELETE().build());
        assertThat(del.statusCode()).isEqualTo(204);
        kiln.deploy("demo", "slow", Wat.fixture("echo"));
        JsonNode q = json(kiln.get(FN + "slow/queue"));
        assertThat(q.path("depth").asInt()).isZero();
        assertThat(json(kiln.get(FN + "slow/async-config")).path("maxAttempts").asInt())
                .isEqualTo(3);
        assertThat(json(kiln.get("/api/v1/queues")).path("queues").toString())
                .doesNotContain("\"depth\":3");
    }
}
