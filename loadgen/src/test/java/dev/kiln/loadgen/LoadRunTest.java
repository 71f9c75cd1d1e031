package dev.kiln.loadgen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Mixed loads and interval samples, against real sockets: counts, never speed. */
class LoadRunTest {
    private static LoadSpec.Builder spec(URI target) {
        return LoadSpec.builder(target)
                .method("POST")
                .body("hello".getBytes(StandardCharsets.UTF_8))
                .connections(2)
                .duration(Duration.ofMillis(1200))
                .drain(Duration.ofMillis(500));
    }

    /** Samples until the run ends, then once more; one list of samples per load. */
    private static List<List<IntervalSample>> sampleUntilEnd(LoadRun run)
            throws InterruptedException {
        List<List<IntervalSample>> perLoad = new ArrayList<>();
        run.specs().forEach(s -> perLoad.add(new ArrayList<>()));
        boolean ended = false;
        for (int i = 0; i < 100 && !ended; i++) { // bounded: 100 × 300 ms
            ended = run.awaitEnd(Duration.ofMillis(300));
            List<IntervalSample> samples = run.sample();
            for (int s = 0; s < samples.size(); s++) {
                perLoad.get(s).add(samples.get(s));
            }
        }
        assertThat(ended).isTrue();
        return perLoad;
    }

    @Test
    void loadsRunTogetherAndTheirSamplesAddUpToTheirResults() throws Exception {
        try (var echo = new RawServer(RawServer.Behaviour.ECHO);
                var chunked = new RawServer(RawServer.Behaviour.ECHO_CHUNKED);
                LoadRun run =
                        LoadGenerator.start(
                                List.of(
                                        spec(echo.uri("/a")).rate(100).build(),
                                        spec(chunked.uri("/b")).connections(3).build()))) {
            List<List<IntervalSample>> samples = sampleUntilEnd(run);
            List<LoadResult> results = run.results();
            assertThat(results).hasSize(2);
            for (int s = 0; s < 2; s++) {
                LoadResult r = results.get(s);
                List<IntervalSample> mine = samples.get(s);
                assertThat(mine.size()).as("several intervals").isGreaterThan(2);
                long sampled = mine.stream().mapToLong(IntervalSample::responses).sum();
                assertThat(sampled).isPositive().isEqualTo(r.latency().getTotalCount());
                SortedMap<Integer, Long> statuses = new TreeMap<>();
                mine.forEach(m -> m.statuses().forEach((k, v) -> statuses.merge(k, v, Long::sum)));
                assertThat(statuses).isEqualTo(r.statuses()).containsOnlyKeys(200);
                assertThat(mine.stream().mapToLong(IntervalSample::ioErrors).sum()).isZero();
                assertThat(mine.stream().mapToLong(m -> m.responsesWith(Set.of(200))).sum())
                        .isEqualTo(sampled);
                for (IntervalSample m : mine) {
                    if (m.responses() > 0) {
                        assertThat(m.percentiles().p50()).isPositive();
                        assertThat(m.percentiles().p99())
                                .isGreaterThanOrEqualTo(m.percentiles().p50());
                    }
                }
            }
            // Each load went to its own server: the open loop sent its ~120, the closed loop more.
            assertThat(results.get(0).latency().getTotalCount()).isBetween(110L, 121L);
            assertThat(echo.requests.get()).isBetween(110L, 125L);
            assertThat(echo.connections.get()).isEqualTo(2);
            assertThat(chunked.connections.get()).isEqualTo(3);
            assertThat(chunked.requests.get()).isGreaterThan(echo.requests.get());
        }
    }

    @Test
    void connectionErrorsShowInTheIntervalTheyHappenedIn() throws Exception {
        try (var drop = new RawServer(RawServer.Behaviour.DROP);
                var echo = new RawServer(RawServer.Behaviour.ECHO);
                LoadRun run =
                        LoadGenerator.start(
                                List.of(
                                        spec(drop.uri("/")).build(),
                                        spec(echo.uri("/")).rate(50).build()))) {
            List<List<IntervalSample>> samples = sampleUntilEnd(run);
            List<LoadResult> results = run.results();
            long dropped = samples.get(0).stream().mapToLong(IntervalSample::ioErrors).sum();
            assertThat(dropped).isPositive().isEqualTo(results.get(0).ioErrors());
            assertThat(samples.get(0).stream().mapToLong(IntervalSample::responses).sum()).isZero();
            assertThat(samples.get(1).stream().mapToLong(IntervalSample::ioErrors).sum()).isZero();
        }
    }

    @Test
    void closeStopsLoadsBeforeTheirWindowEnds() throws Exception {
        try (var echo = new RawServer(RawServer.Behaviour.ECHO)) {
            long start = System.nanoTime();
            LoadRun run =
                    LoadGenerator.start(
                            List.of(spec(echo.uri("/")).duration(Duration.ofMinutes(10)).build()));
            assertThat(run.awaitEnd(Duration.ofMillis(300))).isFalse();
            run.close();
            assertThat(run.awaitEnd(Duration.ZERO)).isTrue();
            // A generous bound that only a hang exceeds: the window was ten minutes.
            assertThat(Duration.ofNanos(System.nanoTime() - start))
                    .isLessThan(Duration.ofSeconds(30));
            LoadResult r = run.results().get(0);
            assertThat(r.latency().getTotalCount()).isPositive();
        }
    }

    @Test
    void refusesWhenATargetCannotBeConnectedToAndLeavesNothingRunning() throws Exception {
        int port;
        try (var s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (var echo = new RawServer(RawServer.Behaviour.ECHO)) {
            assertThatThrownBy(
                            () ->
                                    LoadGenerator.start(
                                            List.of(
                                                    spec(echo.uri("/")).build(),
                                                    spec(URI.create(
                                                                    "http://127.0.0.1:"
                                                                            + port
                                                                            + "/"))
                                                            .build())))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("cannot connect");
            assertThatThrownBy(() -> LoadGenerator.start(List.of()))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }
}
