package dev.kiln.loadgen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Against real sockets: counts, percentiles and failure handling, never speed. */
class LoadGeneratorTest {
    private static LoadSpec.Builder spec(URI target) {
        return LoadSpec.builder(target)
                .method("POST")
                .body("hello".getBytes(StandardCharsets.UTF_8))
                .connections(4)
                .duration(Duration.ofMillis(800))
                .drain(Duration.ofMillis(300));
    }

    private static void assertPercentilesOrdered(LoadResult r) {
        var p = r.percentiles();
        assertThat(p.p50()).isPositive();
        assertThat(p.p50()).isLessThanOrEqualTo(p.p90());
        assertThat(p.p90()).isLessThanOrEqualTo(p.p99());
        assertThat(p.p99()).isLessThanOrEqualTo(p.p999());
        assertThat(p.p999()).isLessThanOrEqualTo(p.max());
    }

    @Test
    void closedLoopCountsEveryResponse() throws Exception {
        try (var server = new RawServer(RawServer.Behaviour.ECHO)) {
            LoadResult r =
                    LoadGenerator.run(
                            spec(server.uri("/echo")).warmup(Duration.ofMillis(200)).build());
            assertThat(r.responses()).isPositive();
            assertThat(r.statuses()).containsOnlyKeys(200);
            // Everything recorded was answered; the server saw at least that (plus warm-up).
            assertThat(r.latency().getTotalCount()).isEqualTo(r.statuses().get(200));
            assertThat(server.requests.get()).isGreaterThanOrEqualTo(r.latency().getTotalCount());
            assertThat(r.ioErrors()).isZero();
            assertThat(r.unfinished()).isZero();
            assertThat(server.connections.get()).isEqualTo(4);
            assertPercentilesOrdered(r);
        }
    }

    @Test
    void openLoopSendsAtTheRequestedRate() throws Exception {
        try (var server = new RawServer(RawServer.Behaviour.ECHO_CHUNKED)) {
            LoadResult r =
                    LoadGenerator.run(
                            spec(server.uri("/"))
                                    .rate(200)
                                    .duration(Duration.ofSeconds(1))
                                    .build());
            // 200 due in the window; a slow machine may answer a few after it ends.
            assertThat(r.latency().getTotalCount()).isBetween(190L, 201L);
            assertThat(r.responses()).isBetween(150L, 201L);
            assertThat(server.requests.get()).isBetween(190L, 205L);
            assertThat(r.sendLag().getTotalCount()).isGreaterThanOrEqualTo(190L);
            assertPercentilesOrdered(r);
        }
    }

    @Test
    void aStalledServerIsChargedFromTheIntendedSendTime() throws Exception {
        try (var server = new RawServer(RawServer.Behaviour.STALL)) {
            long start = System.nanoTime();
            LoadResult r =
                    LoadGenerator.run(
                            spec(server.uri("/"))
                                    .rate(100)
                                    .duration(Duration.ofMillis(500))
                                    .build());
            long took = System.nanoTime() - start;
            // Bounded: the window plus the drain, not forever.
            assertThat(Duration.ofNanos(took)).isLessThan(Duration.ofSeconds(3));
            assertThat(r.responses()).isZero();
            assertThat(r.unfinished()).isEqualTo(4);
        }
    }

    @Test
    void aServerSlowerThanTheRateIsChargedForTheBacklogNotTheClient() throws Exception {
        try (var server = new RawServer(RawServer.Behaviour.SLOW)) {
            // 2 connections, each due every 10 ms, each answered after 20 ms: the backlog grows
            // by one request per 20 ms per connection, so late requests wait hundreds of ms.
            LoadResult r =
                    LoadGenerator.run(
                            spec(server.uri("/"))
                                    .connections(2)
                                    .rate(200)
                                    .duration(Duration.ofSeconds(1))
                                    .drain(Duration.ofMillis(100))
                                    .build());
            // A closed-loop client would report ~20 ms; counted from the intended send times
            // the tail shows the queue.
            assertThat(r.percentiles().p99()).isGreaterThan(200_000);
            // ...and the client itself was never the one behind.
            assertThat(r.sendLag().getValueAtPercentile(99)).isLessThan(50_000_000L);
            // The summary gives the client's worst lateness too: how a reader tells a stalled
            // machine (both high) from a slow server (latency high, send lag low).
            assertThat(LatencyReport.summary(r)).containsPattern("send lag +p99 \\S+ +max \\S+");
        }
    }

    @Test
    void everyRequestDueInTheWindowIsSentEvenIfItsConnectionWasBusy() throws Exception {
        try (var server = new RawServer(RawServer.Behaviour.SLOW)) {
            // 100 requests fall due in 500 ms, but 2 connections answered after 20 ms each can
            // take only 50 in that time: the rest are owed, and sent in the drain.
            LoadResult r =
                    LoadGenerator.run(
                            spec(server.uri("/"))
                                    .connections(2)
                                    .rate(200)
                                    .duration(Duration.ofMillis(500))
                                    .drain(Duration.ofSeconds(10))
                                    .build());
            assertThat(r.latency().getTotalCount()).isEqualTo(100);
            assertThat(r.unfinished()).isZero();
            // The owed requests are timed from when they were due: the last waited ~500 ms.
            assertThat(r.latency().getMaxValue()).isGreaterThan(400_000_000L);
        }
    }

    @Test
    void reconnectsWhenTheServerClosesAfterEachResponse() throws Exception {
        try (var server = new RawServer(RawServer.Behaviour.CLOSE_EACH)) {
            LoadResult r = LoadGenerator.run(spec(server.uri("/")).build());
            assertThat(r.responses()).isPositive();
            assertThat(server.connections.get()).isGreaterThan(4);
            assertThat(r.ioErrors()).isZero();
        }
    }

    @Test
    void countsConnectionsDroppedMidRequest() throws Exception {
        try (var server = new RawServer(RawServer.Behaviour.DROP)) {
            LoadResult r =
                    LoadGenerator.run(
                            spec(server.uri("/")).duration(Duration.ofMillis(400)).build());
            assertThat(r.responses()).isZero();
            assertThat(r.ioErrors()).isPositive();
        }
    }

    @Test
    void refusesWhenNothingListens() throws Exception {
        int port;
        try (var s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        assertThatThrownBy(
                        () ->
                                LoadGenerator.run(
                                        spec(URI.create("http://127.0.0.1:" + port + "/")).build()))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("cannot connect");
    }

    @Test
    void reportsPercentilesAHistogramAndAnHgrmFile(@TempDir Path dir) throws Exception {
        try (var server = new RawServer(RawServer.Behaviour.ECHO)) {
            LoadResult r = LoadGenerator.run(spec(server.uri("/")).threads(2).build());
            String summary = LatencyReport.summary(r);
            assertThat(summary).contains("closed loop, 4 connections, 2 threads", "p99.9", "200: ");
            String histogram = LatencyReport.textHistogram(r.latency(), 30);
            assertThat(histogram).contains("100.00%", "█");
            Path hgrm = dir.resolve("out.hgrm");
            LatencyReport.writeHgrm(r.latency(), hgrm);
            assertThat(Files.readString(hgrm)).contains("Value     Percentile", "#[Max");
        }
    }
}
