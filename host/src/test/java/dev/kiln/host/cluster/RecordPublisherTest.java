package dev.kiln.host.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.abi.GuestLogLine;
import dev.kiln.abi.LogLevel;
import dev.kiln.host.config.ClusterSettings;
import dev.kiln.host.observability.InvocationRecord;
import dev.kiln.host.observability.Metrics;
import dev.kiln.host.testing.NatsServers;
import dev.kiln.host.testing.TestHost;
import io.nats.client.Connection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The records stream's messages (docs/adr/0057): packed under the max payload, a record too large
 * alone published without its lines, bodies that are not records refused; and the publisher's
 * bounded queue while NATS is away: what does not fit is counted, what waited is published once
 * NATS is back.
 */
class RecordPublisherTest {
    @TempDir Path dir;

    static InvocationRecord record(String id, String... lines) {
        Instant at = Instant.parse("2026-12-04T10:00:00Z");
        List<GuestLogLine> logs = new ArrayList<>();
        for (String l : lines) {
            logs.add(new GuestLogLine(at.toEpochMilli(), LogLevel.WARN, l));
        }
        return new InvocationRecord(
                id,
                "svc",
                "fn",
                2,
                "sha",
                "invoke",
                at,
                1234,
                "ok",
                200,
                10,
                20,
                300,
                "warm",
                null,
                logs,
                false,
                0,
                128,
                "key-1",
                "0af7651916cd43dd8448eb211c80319c",
                null);
    }

    @Test
    void recordsArePackedUnderTheLimitAndComeBackAsTheyWere() throws Exception {
        List<InvocationRecord> records = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            records.add(record("r" + i, "line " + i, "ü ✓ \"quoted\" \n"));
        }
        records.add(record("huge", "x".repeat(20_000)));
        List<RecordMessages.Packed> packed = RecordMessages.pack(records, 4096, "node-a");
        assertThat(packed.size()).isGreaterThan(1);
        List<InvocationRecord> back = new ArrayList<>();
        for (RecordMessages.Packed p : packed) {
            assertThat(p.body().length).isLessThanOrEqualTo(4096);
            List<InvocationRecord> some = RecordMessages.unpack(p.body(), "from-subject");
            assertThat(some).hasSize(p.records());
            back.addAll(some);
        }
        assertThat(back).hasSize(51);
        assertThat(back.get(7)).isEqualTo(records.get(7).onNode("node-a"));
        // too large alone: published without its lines, marked truncated, still counted
        InvocationRecord huge = back.get(50);
        assertThat(huge.logs()).isEmpty();
        assertThat(huge.logTruncated()).isTrue();
        assertThat(huge.fuel()).isEqualTo(300);
    }

    @Test
    void bodiesThatAreNotRecordsAreRefused() {
        for (String body :
                List.of("not json", "{}", "[1]", "[{\"requestId\":\"x\"}]", "[{\"logs\":[[1]]}]")) {
            org.assertj.core.api.Assertions.assertThatThrownBy(
                            () ->
                                    RecordMessages.unpack(
                                            body.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                                            "n"))
                    .as(body)
                    .isInstanceOf(java.io.IOException.class);
        }
    }

    @Test
    @SuppressWarnings("deprecation") // jnats' listener callback, as in Cluster
    void whatDoesNotFitTheQueueWhileNatsIsAwayIsCountedTheRestPublishedLater() throws Exception {
        try (NatsServers nats =
                NatsServers.start(Files.createDirectories(dir.resolve("nats")), 1)) {
            Connection nc = NatsConnector.connect(nats.settings("z", "p"), "p", (conn, type) -> {});
            try {
                Buckets.records(
                        nc, 1, Duration.ofHours(1), ClusterSettings.DEFAULT_RECORDS_MAX_BYTES);
                var publisher = new RecordPublisher(nc, "p", "origin-1", 2, new Metrics());
                nats.server(0).kill();
                TestHost.await(
                        "the connection lost",
                        Duration.ofSeconds(20),
                        () -> nc.getStatus() != Connection.Status.CONNECTED);
                // the publisher holds at most one round and its queue of 2
                publisher.committed(List.of(record("a")));
                TestHost.await(
                        "the first taken", Duration.ofSeconds(5), () -> publisher.queued() == 0);
                publisher.committed(List.of(record("b"), record("c"), record("d"), record("e")));
                assertThat(publisher.unreplicated()).isEqualTo(2);

                nats.server(0).restart();
                TestHost.await(
                        "published after NATS came back",
                        Duration.ofSeconds(40),
                        () -> storedRecords(nc) == 3);
                publisher.close();
                assertThat(publisher.unreplicated()).isEqualTo(2);
            } finally {
                nc.close();
            }
        }
    }

    private static long storedRecords(Connection nc) {
        if (nc.getStatus() != Connection.Status.CONNECTED) {
            return -1;
        }
        try {
            var jsm = nc.jetStreamManagement(Buckets.JS_OPTIONS);
            long last = jsm.getStreamInfo(Buckets.RECORDS).getStreamState().getLastSequence();
            long n = 0;
            for (long seq = 1; seq <= last; seq++) {
                var m = jsm.getMessage(Buckets.RECORDS, seq);
                assertThat(m.getHeaders().getFirst(RecordPublisher.ORIGIN_HEADER))
                        .isEqualTo("origin-1");
                n += RecordMessages.unpack(m.getData(), "p").size();
            }
            return n;
        } catch (Exception e) {
            return -1;
        }
    }
}
