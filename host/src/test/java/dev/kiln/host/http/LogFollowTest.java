package dev.kiln.host.http;

import static dev.kiln.host.testing.TestHost.errorCode;
import static dev.kiln.host.testing.TestHost.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.host.observability.ObservabilityLimits;
import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET …/logs?follow=true}: server-sent events over a real socket (docs/adr/0043). */
class LogFollowTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String LOGS = "/api/v1/services/s/functions/log/logs";
    private static final Duration WAIT = Duration.ofSeconds(10);

    private static TestHost start(Path data, int maxFollowers) {
        TestHost kiln =
                TestHost.start(
                        data,
                        b ->
                                b.observability(
                                        new ObservabilityLimits(
                                                Duration.ofDays(1),
                                                Duration.ofDays(1),
                                                maxFollowers,
                                                Duration.ofMillis(100))));
        assertThat(kiln.deploy("s", "log", Wat.fixture("logger")).statusCode()).isEqualTo(201);
        return kiln;
    }

    private static String invoke(TestHost kiln, String payload) {
        var r = kiln.invoke("s", "log", payload);
        assertThat(r.statusCode()).isEqualTo(200);
        return r.headers().firstValue("X-Kiln-Request-Id").orElseThrow();
    }

    private static JsonNode data(SseClient.Event e) throws Exception {
        assertThat(e).as("an event").isNotNull();
        assertThat(e.event()).isEqualTo("log");
        return JSON.readTree(e.data());
    }

    @Test
    void aFollowerSeesTheLinesOfInvocationsMadeAfterItConnected(@TempDir Path data)
            throws Exception {
        try (TestHost kiln = start(data, 10);
                var sse =
                        new SseClient(kiln.host().port(), LOGS + "?follow=true", TestHost.TOKEN)) {
            String head = sse.head(WAIT);
            assertThat(head).startsWith("HTTP/1.1 200");
            assertThat(head.toLowerCase(java.util.Locale.ROOT))
                    .contains("content-type: text/event-stream");
            String id = invoke(kiln, "1hello after connect");
            JsonNode line = data(sse.next(WAIT));
            assertThat(line.path("message").asText()).isEqualTo("hello after connect");
            assertThat(line.path("level").asText()).isEqualTo("info");
            assertThat(line.path("requestId").asText()).isEqualTo(id);
            // Idle, the stream gets heartbeat comments.
            TestHost.await("a heartbeat", WAIT, () -> sse.comments() > 0);
            // Without follow, the endpoint answers as before: JSON, newest lines.
            var plain = kiln.get(LOGS);
            assertThat(plain.statusCode()).isEqualTo(200);
            assertThat(json(plain).path("logs").get(0).path("message").asText())
                    .isEqualTo("hello after connect");
        }
    }

    @Test
    void levelRequestIdAndSinceFilterTheStream(@TempDir Path data) throws Exception {
        try (TestHost kiln = start(data, 10)) {
            long before = System.currentTimeMillis() - 1;
            String first = invoke(kiln, "1first stored");
            invoke(kiln, "1second stored");
            kiln.host().flushRecords();
            // since + requestId: the one stored line of that invocation, then nothing else.
            try (var all =
                            new SseClient(
                                    kiln.host().port(), LOGS + "?follow=true", TestHost.TOKEN);
                    var sse =
                            new SseClient(
                                    kiln.host().port(),
                                    LOGS + "?follow=true&since=" + before + "&requestId=" + first,
                                    TestHost.TOKEN)) {
                all.head(WAIT);
                JsonNode line = data(sse.next(WAIT));
                assertThat(line.path("message").asText()).isEqualTo("first stored");
                invoke(kiln, "1third, another invocation");
                // Published to both in one pass: once the unfiltered one has it, it is past.
                assertThat(data(all.next(WAIT)).path("message").asText())
                        .isEqualTo("third, another invocation");
                assertThat(sse.next(Duration.ofMillis(100))).isNull();
            }
            // level=warn: an info line made first never arrives, the warn line after it does.
            try (var sse =
                    new SseClient(
                            kiln.host().port(), LOGS + "?follow=true&level=warn", TestHost.TOKEN)) {
                sse.head(WAIT);
                invoke(kiln, "1quiet info");
                invoke(kiln, "3loud error");
                invoke(kiln, "2a warning");
                List<String> got = new ArrayList<>();
                got.add(data(sse.next(WAIT)).path("message").asText());
                got.add(data(sse.next(WAIT)).path("message").asText());
                assertThat(got).containsExactly("loud error", "a warning");
            }
        }
    }

    @Test
    void aDisconnectedFollowerIsFreedAndTheLimitIsEnforced(@TempDir Path data) throws Exception {
        try (TestHost kiln = start(data, 1)) {
            var sse = new SseClient(kiln.host().port(), LOGS + "?follow=true", TestHost.TOKEN);
            assertThat(sse.head(WAIT)).startsWith("HTTP/1.1 200");
            assertThat(followers(kiln)).isEqualTo(1);

            // One more than --max-log-followers: refused, and the host still serves.
            var refused = kiln.get(LOGS + "?follow=true");
            assertThat(refused.statusCode()).isEqualTo(503);
            assertThat(errorCode(refused)).isEqualTo("server_busy");
            invoke(kiln, "1still serving");
            assertThat(data(sse.next(WAIT)).path("message").asText()).isEqualTo("still serving");

            // The client goes away: the heartbeat finds out and the place is free again.
            sse.close();
            TestHost.await("the follower freed", WAIT, () -> followers(kiln) == 0);
            try (var again =
                    new SseClient(kiln.host().port(), LOGS + "?follow=true", TestHost.TOKEN)) {
                assertThat(again.head(WAIT)).startsWith("HTTP/1.1 200");
                invoke(kiln, "1for the new follower");
                assertThat(data(again.next(WAIT)).path("message").asText())
                        .isEqualTo("for the new follower");
            }
        }
    }

    @Test
    void badFiltersAreRefused(@TempDir Path data) {
        try (TestHost kiln = start(data, 10)) {
            var badLevel = kiln.get(LOGS + "?follow=true&level=loud");
            assertThat(badLevel.statusCode()).isEqualTo(400);
            assertThat(errorCode(badLevel)).isEqualTo("bad_request");
            var badSince = kiln.get(LOGS + "?follow=true&since=yesterday");
            assertThat(errorCode(badSince)).isEqualTo("bad_request");
            var badFollow = kiln.get(LOGS + "?follow=yes");
            assertThat(errorCode(badFollow)).isEqualTo("bad_request");
            assertThat(kiln.get("/api/v1/services/s/functions/nope/logs?follow=true").statusCode())
                    .isEqualTo(404);
            assertThat(followers(kiln)).isZero();
        }
    }

    private static int followers(TestHost kiln) {
        for (String l : kiln.host().metrics().scrape().lines().toList()) {
            if (l.startsWith("kiln_log_followers ")) {
                return Integer.parseInt(l.substring("kiln_log_followers ".length()).strip());
            }
        }
        throw new AssertionError("no kiln_log_followers gauge");
    }
}
