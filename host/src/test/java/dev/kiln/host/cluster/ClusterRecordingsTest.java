package dev.kiln.host.cluster;

import static dev.kiln.host.testing.TestHost.errorCode;
import static dev.kiln.host.testing.TestHost.json;
import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.host.testing.NatsServers;
import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recordings are the cluster's (docs/adr/0059): what one node recorded is listed, exported and
 * replayed on another, with the same result, and a deleted function's recordings are gone from the
 * cluster's bucket.
 */
class ClusterRecordingsTest {
    private static final String FN = "/api/v1/services/s/functions/log";
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir Path dir;

    @Test
    void whatOneNodeRecordedIsReplayedOnTheOther() throws Exception {
        try (NatsServers nats = NatsServers.start(Files.createDirectories(dir.resolve("nats")), 1);
                TestHost a = node(nats, "a");
                TestHost b = node(nats, "b")) {
            assertThat(a.deploy("s", "log", Wat.fixture("logger")).statusCode()).isEqualTo(201);
            var patched = a.patch("s", "log", "{\"record\":\"all\"}");
            assertThat(patched.statusCode()).as(text(patched)).isEqualTo(200);
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                var r = a.invoke("s", "log", "from a " + i);
                assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
                ids.add(r.headers().firstValue("X-Kiln-Request-Id").orElseThrow());
            }
            a.host().flushRecordings();
            TestHost.await(
                    "a's recordings listed on b",
                    WAIT,
                    () -> b.host().recordings().list("s", "log").containsAll(ids));
            // b holds none of them itself: every one comes from the bucket, newest first
            assertThat(b.host().recordings().list("s", "log"))
                    .containsExactlyElementsOf(ids.reversed());

            for (String id : ids) {
                var exported = b.get(FN + "/invocations/" + id + "/recording");
                assertThat(exported.statusCode()).as(text(exported)).isEqualTo(200);
                assertThat(json(exported).path("requestId").asText()).isEqualTo(id);

                JsonNode onB = replay(b, id);
                JsonNode onA = replay(a, id);
                assertThat(onB.path("identical").asBoolean()).as(onB.toString()).isTrue();
                assertThat(onB.path("replayed")).isEqualTo(onA.path("replayed"));
                assertThat(onB.path("recorded")).isEqualTo(onA.path("recorded"));
            }
            // an unknown request id is still refused with its code, on the node without it
            var unknown = replayResponse(b, "no-such-request");
            assertThat(unknown.statusCode()).isEqualTo(404);
            assertThat(errorCode(unknown)).isEqualTo("recording_not_found");

            // a deleted function's recordings are gone from the cluster
            var deleted = a.send(a.admin(FN).DELETE().build());
            assertThat(deleted.statusCode()).as(text(deleted)).isIn(200, 204);
            TestHost.await(
                    "the recordings gone from the bucket",
                    WAIT,
                    () -> b.host().recordings().list("s", "log").isEmpty());
            assertThat(a.host().recordings().list("s", "log")).isEmpty();
            // b still serves
            assertThat(a.deploy("s", "log", Wat.fixture("logger")).statusCode()).isEqualTo(201);
            TestHost.await(
                    "b serves the function again",
                    WAIT,
                    () -> b.invoke("s", "log", "again").statusCode() == 200);
        }
    }

    @Test
    void aRecordingLargerThanANatsMessageStaysOnItsNodeAndIsCounted() throws Exception {
        try (NatsServers nats =
                        NatsServers.start(
                                Files.createDirectories(dir.resolve("nats")), 1, "256KB");
                TestHost a = node(nats, "a");
                TestHost b = node(nats, "b")) {
            assertThat(a.deploy("s", "log", Wat.fixture("logger")).statusCode()).isEqualTo(201);
            var patched = a.patch("s", "log", "{\"record\":\"all\"}");
            assertThat(patched.statusCode()).as(text(patched)).isEqualTo(200);
            var big = a.invoke("s", "log", "x".repeat(400 * 1024));
            var small = a.invoke("s", "log", "small");
            String bigId = big.headers().firstValue("X-Kiln-Request-Id").orElseThrow();
            String smallId = small.headers().firstValue("X-Kiln-Request-Id").orElseThrow();
            a.host().flushRecordings();
            TestHost.await(
                    "the small recording listed on b",
                    WAIT,
                    () -> b.host().recordings().list("s", "log").contains(smallId));
            TestHost.await("the big one counted", WAIT, () -> unreplicated(a) == 1);
            assertThat(b.host().recordings().list("s", "log")).containsExactly(smallId);
            assertThat(a.host().recordings().list("s", "log")).contains(bigId, smallId);
            assertThat(replay(a, bigId).path("identical").asBoolean()).isTrue();
            var onB = replayResponse(b, bigId);
            assertThat(onB.statusCode()).isEqualTo(404);
            assertThat(errorCode(onB)).isEqualTo("recording_not_found");
            assertThat(replay(b, smallId).path("identical").asBoolean()).isTrue();
        }
    }

    private static long unreplicated(TestHost node) {
        return text(node.get("/metrics"))
                .lines()
                .filter(l -> l.startsWith("kiln_recordings_unreplicated_total "))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(l.indexOf(' ') + 1)))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no kiln_recordings_unreplicated_total"));
    }

    private TestHost node(NatsServers nats, String name) {
        return TestHost.start(
                dir.resolve("node-" + name), c -> c.cluster(nats.settings("z", name)));
    }

    private static HttpResponse<byte[]> replayResponse(TestHost node, String id) {
        return node.send(
                node.admin(FN + "/invocations/" + id + "/replay")
                        .POST(HttpRequest.BodyPublishers.noBody())
                        .build());
    }

    private static JsonNode replay(TestHost node, String id) {
        var r = replayResponse(node, id);
        assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
        return json(r);
    }
}
