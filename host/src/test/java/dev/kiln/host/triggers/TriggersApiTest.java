package dev.kiln.host.triggers;

import static dev.kiln.host.testing.TestHost.await;
import static dev.kiln.host.testing.TestHost.errorCode;
import static dev.kiln.host.testing.TestHost.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.host.events.EventLimits;
import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Triggers over real sockets: management, validation, topic fan-out, timers. */
class TriggersApiTest {
    static final String FN = "/api/v1/services/shop/functions/";
    static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir Path data;
    TestHost kiln;

    @BeforeEach
    void start() {
        kiln = startHost();
    }

    TestHost startHost() {
        return TestHost.start(
                data,
                b ->
                        b.eventLimits(
                                EventLimits.DEFAULTS.toBuilder()
                                        .retryBaseDelay(Duration.ofMillis(20))
                                        .retryMaxDelay(Duration.ofMillis(100))
                                        .build()));
    }

    @AfterEach
    void stop() {
        kiln.close();
    }

    HttpResponse<byte[]> post(String path, String json) {
        return kiln.sendJson("POST", path, json);
    }

    HttpResponse<byte[]> publish(String topic, String body) {
        return kiln.send(
                kiln.admin("/api/v1/topics/" + topic + "/events")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build());
    }

    int invocations(String function) {
        return json(kiln.get(FN + function + "/invocations")).path("invocations").size();
    }

    @Test
    void triggersAreCreatedListedDisabledAndDeleted() {
        kiln.deploy("shop", "a", Wat.fixture("echo"));
        var created =
                post(
                        FN + "a/triggers",
                        "{\"id\":\"orders-in\",\"type\":\"topic\",\"topic\":\"orders\","
                                + "\"filter\":{\"type\":[\"order.submitted\"]}}");
        assertThat(created.statusCode()).isEqualTo(201);
        JsonNode t = json(created);
        assertThat(t.path("id").asText()).isEqualTo("orders-in");
        assertThat(t.path("enabled").asBoolean()).isTrue();
        assertThat(t.path("filter").path("type").get(0).asText()).isEqualTo("order.submitted");

        var timer =
                json(
                        post(
                                FN + "a/triggers",
                                "{\"type\":\"timer\",\"cron\":\"0 3 * *"
                                        + " *\",\"payload\":{\"job\":\"nightly\"}}"));
        String timerId = timer.path("id").asText();
        assertThat(timerId).startsWith("t-");
        assertThat(timer.path("timezone").asText()).isEqualTo("UTC");
        assertThat(timer.path("missedFire").asText()).isEqualTo("skip");
        assertThat(timer.path("nextFireAt").asText()).endsWith("T03:00:00Z");

        assertThat(json(kiln.get(FN + "a/triggers")).path("triggers")).hasSize(2);
        assertThat(json(kiln.get("/api/v1/topics")).path("topics").get(0).path("topic").asText())
                .isEqualTo("orders");

        var disabled = kiln.sendJson("PATCH", FN + "a/triggers/orders-in", "{\"enabled\":false}");
        assertThat(disabled.statusCode()).isEqualTo(200);
        assertThat(json(disabled).path("enabled").asBoolean()).isFalse();
        assertThat(json(kiln.get("/api/v1/topics")).path("topics")).isEmpty();
        assertThat(json(kiln.get(FN + "a/triggers/orders-in")).path("enabled").asBoolean())
                .isFalse();

        var cronChange =
                kiln.sendJson("PATCH", FN + "a/triggers/" + timerId, "{\"cron\":\"*/10 * * * *\"}");
        assertThat(json(cronChange).path("cron").asText()).isEqualTo("*/10 * * * *");

        assertThat(kiln.send(kiln.admin(FN + "a/triggers/orders-in").DELETE().build()).statusCode())
                .isEqualTo(204);
        assertThat(kiln.get(FN + "a/triggers/orders-in").statusCode()).isEqualTo(404);

        // Triggers survive a restart, and go with their function.
        kiln.close();
        kiln = startHost();
        assertThat(json(kiln.get(FN + "a/triggers")).path("triggers")).hasSize(1);
        kiln.send(kiln.admin("/api/v1/services/shop/functions/a").DELETE().build());
        kiln.deploy("shop", "a", Wat.fixture("echo"));
        assertThat(json(kiln.get(FN + "a/triggers")).path("triggers")).isEmpty();
    }

    @Test
    void malformedTriggersAreBadRequestsAndChangeNothing() {
        kiln.deploy("shop", "a", Wat.fixture("echo"));
        List<String> bad =
                List.of(
                        "[]",
                        "{}",
                        "{\"type\":\"queue\"}",
                        "{\"type\":\"topic\"}",
                        "{\"type\":\"topic\",\"topic\":\"Bad Topic!\"}",
                        "{\"type\":\"topic\",\"topic\":\"orders\",\"colour\":\"red\"}",
                        "{\"type\":\"topic\",\"topic\":\"orders\",\"filter\":[\"x\"]}",
                        "{\"type\":\"topic\",\"topic\":\"orders\",\"filter\":{\"type\":\"x\"}}",
                        "{\"type\":\"topic\",\"topic\":\"orders\",\"enabled\":\"yes\"}",
                        "{\"type\":\"topic\",\"topic\":\"orders\",\"id\":\"Has Spaces\"}",
                        "{\"type\":\"timer\"}",
                        "{\"type\":\"timer\",\"cron\":\"every day\"}",
                        "{\"type\":\"timer\",\"cron\":\"61 * * * *\"}",
                        "{\"type\":\"timer\",\"cron\":\"* * * * *\",\"timezone\":\"Mars/Base\"}",
                        "{\"type\":\"timer\",\"cron\":\"* * * * *\",\"missedFire\":\"twice\"}",
                        "{\"type\":\"timer\",\"cron\":\"* * * * *\",\"createdAt\":0}",
                        "{\"type\":\"timer\",\"cron\":\"* * * * *\",\"payload\":\""
                                + "x".repeat(300 * 1024)
                                + "\"}");
        for (String body : bad) {
            var r = post(FN + "a/triggers", body);
            String what = body.length() > 80 ? body.substring(0, 80) : body;
            assertThat(r.statusCode()).as(what).isIn(400, 413);
            assertThat(errorCode(r)).as(what).isIn("bad_request", "payload_too_large");
        }
        assertThat(json(kiln.get(FN + "a/triggers")).path("triggers")).isEmpty();
        assertThat(errorCode(post(FN + "nope/triggers", "{\"type\":\"topic\",\"topic\":\"x\"}")))
                .isEqualTo("function_not_found");

        post(FN + "a/triggers", "{\"id\":\"t1\",\"type\":\"topic\",\"topic\":\"orders\"}");
        assertThat(
                        errorCode(
                                post(
                                        FN + "a/triggers",
                                        "{\"id\":\"t1\",\"type\":\"topic\",\"topic\":\"o\"}")))
                .isEqualTo("bad_request");
        assertThat(errorCode(kiln.sendJson("PATCH", FN + "a/triggers/t1", "{\"type\":\"timer\"}")))
                .isEqualTo("bad_request");
        assertThat(errorCode(kiln.sendJson("PATCH", FN + "a/triggers/t1", "{\"topic\":\"a b\"}")))
                .isEqualTo("bad_request");
        assertThat(json(kiln.get(FN + "a/triggers/t1")).path("topic").asText()).isEqualTo("orders");
        assertThat(errorCode(publish("Bad!Topic", "x"))).isEqualTo("bad_request");
        // After all that, the host still serves.
        assertThat(publish("orders", "x").statusCode()).isEqualTo(202);
    }

    @Test
    void everyMatchingSubscriberGetsEachPublishedEvent() {
        for (String f : List.of("all", "submitted", "eu", "off")) {
            kiln.deploy("shop", f, Wat.fixture("echo"));
        }
        post(FN + "all/triggers", "{\"type\":\"topic\",\"topic\":\"orders\"}");
        post(
                FN + "submitted/triggers",
                "{\"type\":\"topic\",\"topic\":\"orders\",\"filter\":{\"type\":[\"order.submitted\"]}}");
        post(
                FN + "eu/triggers",
                "{\"type\":\"topic\",\"topic\":\"orders\",\"filter\":{\"region\":[\"eu\"]}}");
        post(FN + "off/triggers", "{\"type\":\"topic\",\"topic\":\"orders\",\"enabled\":false}");

        var r = publish("orders", "{\"type\":\"order.submitted\",\"region\":\"us\"}");
        assertThat(r.statusCode()).isEqualTo(202);
        JsonNode p = json(r);
        assertThat(p.path("eventId").asText())
                .isEqualTo(r.headers().firstValue("X-Kiln-Request-Id").orElseThrow());
        assertThat(p.path("deliveries").findValuesAsText("function"))
                .containsExactly("all", "submitted");
        publish("orders", "{\"type\":\"order.cancelled\",\"region\":\"eu\"}");
        publish("orders", "not json at all");
        assertThat(json(publish("nobody-listens", "x")).path("deliveries")).isEmpty();

        await("all three to arrive", WAIT, () -> invocations("all") == 3);
        await("one submitted", WAIT, () -> invocations("submitted") == 1);
        await("one eu", WAIT, () -> invocations("eu") == 1);
        assertThat(invocations("off")).isZero();
        JsonNode rec = json(kiln.get(FN + "all/invocations")).path("invocations").get(0);
        assertThat(rec.path("trigger").asText()).isEqualTo("event");
        assertThat(rec.path("attempt").asInt()).isEqualTo(1);
    }

    @Test
    void aTimerFiresOnItsScheduleWithItsPayload() {
        kiln.deploy("shop", "tick", Wat.fixture("echo"));
        startWitness();
        var t =
                post(
                        FN + "tick/triggers",
                        "{\"id\":\"every-second\",\"type\":\"timer\",\"cron\":\"* * * * * *\","
                                + "\"payload\":{\"job\":\"tick\"}}");
        assertThat(t.statusCode()).isEqualTo(201);
        await("two fires", WAIT, () -> invocations("tick") >= 2);
        JsonNode rec = json(kiln.get(FN + "tick/invocations")).path("invocations").get(0);
        assertThat(rec.path("trigger").asText()).isEqualTo("timer");
        assertThat(rec.path("bytesIn").asInt()).isEqualTo("{\"job\":\"tick\"}".length());
        kiln.sendJson("PATCH", FN + "tick/triggers/every-second", "{\"enabled\":false}");
        await(
                "the last fire to be recorded",
                Duration.ofSeconds(3),
                () -> json(kiln.get(FN + "tick/queue")).path("depth").asInt() == 0);
        int fired = invocations("tick");
        awaitWitnessFires(2);
        assertThat(invocations("tick")).isEqualTo(fired);
    }

    @Test
    void aFireMissedWhileDownRunsOnceOrIsSkippedPerTriggerAndNeverTwice() {
        kiln.deploy("shop", "catchup", Wat.fixture("echo"));
        kiln.deploy("shop", "skipper", Wat.fixture("echo"));
        startWitness();
        // A cron that fires once a minute, at a second that will pass while Kiln is down.
        long now = System.currentTimeMillis() / 1000;
        int second = (int) ((now + 4) % 60);
        String cron = second + " * * * * *";
        post(
                FN + "catchup/triggers",
                "{\"id\":\"m\",\"type\":\"timer\",\"cron\":\""
                        + cron
                        + "\",\"missedFire\":\"run_once\"}");
        post(
                FN + "skipper/triggers",
                "{\"id\":\"m\",\"type\":\"timer\",\"cron\":\""
                        + cron
                        + "\",\"missedFire\":\"skip\"}");
        kiln.close();
        sleep((now + 6) * 1000 - System.currentTimeMillis());
        kiln = startHost();
        await("the missed fire to run once", WAIT, () -> invocations("catchup") == 1);
        JsonNode rec = json(kiln.get(FN + "catchup/invocations")).path("invocations").get(0);
        assertThat(rec.path("trigger").asText()).isEqualTo("timer");
        // Another restart does not fire the same scheduled time again.
        kiln.close();
        kiln = startHost();
        awaitWitnessFires(2);
        assertThat(invocations("catchup")).isEqualTo(1);
        assertThat(invocations("skipper")).isZero();
    }

    @Test
    void changingATimersCronOrTimezoneNeverFiresATimeThatPassedBeforeTheChange() {
        kiln.deploy("shop", "recron", Wat.fixture("echo"));
        kiln.deploy("shop", "rezone", Wat.fixture("echo"));
        startWitness();
        long created = System.currentTimeMillis() / 1000;
        // The second after the triggers' creation: it will have passed when they change.
        Instant passed = Instant.ofEpochSecond(created + 1);
        post(FN + "recron/triggers", "{\"id\":\"t\",\"type\":\"timer\",\"cron\":\"0 0 1 1 *\"}");
        // That second in UTC+1 wall-clock time: an hour ahead while the zone is UTC, just passed
        // once it is changed to UTC+1.
        ZonedDateTime local = passed.atZone(ZoneId.of("Etc/GMT-1"));
        String cron =
                local.getSecond() + " " + local.getMinute() + " " + local.getHour() + " * * *";
        var rezone =
                post(
                        FN + "rezone/triggers",
                        "{\"id\":\"t\",\"type\":\"timer\",\"cron\":\"" + cron + "\"}");
        assertThat(Instant.parse(json(rezone).path("nextFireAt").asText()))
                .isEqualTo(passed.plus(Duration.ofHours(1)));
        sleep((created + 2) * 1000 + 200 - System.currentTimeMillis());

        var recron =
                kiln.sendJson(
                        "PATCH",
                        FN + "recron/triggers/t",
                        "{\"cron\":\""
                                + passed.atZone(ZoneOffset.UTC).getSecond()
                                + " * * * * *\"}");
        assertThat(recron.statusCode()).isEqualTo(200);
        assertThat(Instant.parse(json(recron).path("nextFireAt").asText()))
                .isEqualTo(passed.plus(Duration.ofMinutes(1)));
        var rezoned =
                kiln.sendJson("PATCH", FN + "rezone/triggers/t", "{\"timezone\":\"Etc/GMT-1\"}");
        assertThat(rezoned.statusCode()).isEqualTo(200);
        assertThat(Instant.parse(json(rezoned).path("nextFireAt").asText()))
                .isEqualTo(passed.plus(Duration.ofDays(1)));
        // Both new schedules had a time after the creation and before the change: not fired.
        awaitWitnessFires(2);
        for (String f : List.of("recron", "rezone")) {
            assertThat(json(kiln.get(FN + f + "/queue")).path("depth").asInt()).as(f).isZero();
            assertThat(invocations(f)).as(f).isZero();
        }
    }

    /** The keys of the fire marks stored in events.db, read as another process would. */
    List<String> fireMarks() {
        try (Connection db =
                        DriverManager.getConnection("jdbc:sqlite:" + data.resolve("events.db"));
                Statement st = db.createStatement();
                ResultSet rs = st.executeQuery("SELECT key FROM fire_marks ORDER BY key")) {
            List<String> keys = new ArrayList<>();
            while (rs.next()) {
                keys.add(rs.getString(1));
            }
            return keys;
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void deletingATimerOrItsFunctionDeletesItsFireMarks() {
        for (String f : List.of("gone", "kept")) {
            kiln.deploy("shop", f, Wat.fixture("echo"));
            for (String id : List.of("t1", "t2")) {
                post(
                        FN + f + "/triggers",
                        "{\"id\":\"" + id + "\",\"type\":\"timer\",\"cron\":\"* * * * * *\"}");
            }
        }
        List<String> all =
                List.of(
                        "timer:shop/gone/t1",
                        "timer:shop/gone/t2",
                        "timer:shop/kept/t1",
                        "timer:shop/kept/t2");
        await("every timer to have fired", WAIT, () -> fireMarks().equals(all));

        assertThat(kiln.send(kiln.admin(FN + "gone/triggers/t2").DELETE().build()).statusCode())
                .isEqualTo(204);
        assertThat(fireMarks())
                .containsExactly("timer:shop/gone/t1", "timer:shop/kept/t1", "timer:shop/kept/t2");
        assertThat(
                        kiln.send(
                                        kiln.admin("/api/v1/services/shop/functions/gone")
                                                .DELETE()
                                                .build())
                                .statusCode())
                .isEqualTo(204);
        assertThat(fireMarks()).containsExactly("timer:shop/kept/t1", "timer:shop/kept/t2");
        // The other function's timers go on firing; the deleted ones' marks stay gone.
        int keptFires = invocations("kept");
        await("the kept timers to fire again", WAIT, () -> invocations("kept") >= keptFires + 2);
        assertThat(fireMarks()).containsExactly("timer:shop/kept/t1", "timer:shop/kept/t2");
    }

    /**
     * A timer on function {@code witness} that fires every second: tests that something must NOT
     * fire wait for the witness to fire instead of sleeping, so the timer thread has provably
     * passed the seconds in question.
     */
    void startWitness() {
        kiln.deploy("shop", "witness", Wat.fixture("echo"));
        assertThat(
                        post(
                                        FN + "witness/triggers",
                                        "{\"id\":\"w\",\"type\":\"timer\",\"cron\":\"* * * * *"
                                                + " *\"}")
                                .statusCode())
                .isEqualTo(201);
    }

    /** Waits (bounded) until the witness timer has fired {@code n} more times. */
    void awaitWitnessFires(int n) {
        int before = invocations("witness");
        await(
                "the witness timer to fire " + n + " more times",
                WAIT,
                () -> invocations("witness") >= before + n);
    }

    static void sleep(long ms) {
        if (ms <= 0) {
            return;
        }
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
