package dev.kiln.host.http;

import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Weighted aliases under real traffic (docs/adr/0037): a 10 % canary lands within its binomial
 * interval, and moving an alias under load loses no request.
 */
class CanaryAndRollbackTest {
    static final String FN = "/api/v1/services/s/functions/f";

    @TempDir Path data;

    @Test
    void aTenPercentCanaryLandsWithinTheBinomialInterval() throws Exception {
        int n = 2000;
        double p = 0.1;
        try (TestHost kiln = TestHost.start(data)) {
            kiln.deploy("s", "f", Wat.fixture("echo"));
            kiln.deploy("s", "f", Wat.fixture("uppercase"));
            kiln.sendJson(
                    "PUT",
                    FN + "/aliases/prod",
                    "{\"version\": 1, \"additionalVersionWeight\": {\"2\": 0.1}}");
            AtomicInteger canary = new AtomicInteger();
            AtomicInteger primary = new AtomicInteger();
            List<String> odd = new ArrayList<>();
            runConcurrently(
                    8,
                    n / 8,
                    () -> {
                        var r = invokeAlias(kiln, "abc");
                        String version = r.headers().firstValue("X-Kiln-Version").orElse("?");
                        if (r.statusCode() == 200 && version.equals("2") && text(r).equals("ABC")) {
                            canary.incrementAndGet();
                        } else if (r.statusCode() == 200
                                && version.equals("1")
                                && text(r).equals("abc")) {
                            primary.incrementAndGet();
                        } else {
                            synchronized (odd) {
                                odd.add(r.statusCode() + " v" + version + " " + text(r));
                            }
                        }
                    });
            assertThat(odd).isEmpty();
            assertThat(canary.get() + primary.get()).isEqualTo(n);
            int[] interval = binomialInterval(n, p, 0.999);
            assertThat(canary.get())
                    .as("canary share of %d invocations at weight %.1f", n, p)
                    .isBetween(interval[0], interval[1]);
        }
    }

    @Test
    void movingAnAliasUnderLoadLosesNoRequest() throws Exception {
        try (TestHost kiln = TestHost.start(data)) {
            kiln.deploy("s", "f", Wat.fixture("echo")); // 1: the old release
            kiln.deploy("s", "f", Wat.fixture("uppercase")); // 2: the new release
            kiln.patch("s", "f", "{\"description\": \"LATEST is not what prod runs\"}");
            kiln.patch("s", "f", "{\"timeoutMs\": 9000}"); // 3: LATEST, never through prod
            kiln.sendJson("PUT", FN + "/aliases/prod", "{\"version\": 2}");

            int clients = 6;
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger sent = new AtomicInteger();
            ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
            // A request sent after a move was answered, and answered before the next began,
            // must run the version that move set.
            AtomicReference<AliasState> state = new AtomicReference<>(new AliasState(0, 2, true));
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            List<Future<?>> load = new ArrayList<>();
            CountDownLatch warmedUp = new CountDownLatch(clients);
            for (int c = 0; c < clients; c++) {
                String payload = "client" + c;
                load.add(
                        pool.submit(
                                () -> {
                                    int mine = 0;
                                    while (!stop.get()) {
                                        AliasState during = state.get();
                                        var r = invokeAlias(kiln, payload);
                                        boolean settled =
                                                during.settled()
                                                        && state.get().seq() == during.seq();
                                        sent.incrementAndGet();
                                        String v =
                                                r.headers()
                                                        .firstValue("X-Kiln-Version")
                                                        .orElse("?");
                                        String body = text(r);
                                        boolean ok =
                                                r.statusCode() == 200
                                                        && ((v.equals("1") && body.equals(payload))
                                                                || (v.equals("2")
                                                                        && body.equals(
                                                                                payload.toUpperCase(
                                                                                        Locale
                                                                                                .ROOT))));
                                        if (!ok) {
                                            wrong.add(r.statusCode() + " v" + v + " " + body);
                                        } else if (settled
                                                && !v.equals(Integer.toString(during.version()))) {
                                            wrong.add(
                                                    "sent after the move to "
                                                            + during.version()
                                                            + ": v"
                                                            + v);
                                        }
                                        if (++mine == 20) {
                                            warmedUp.countDown();
                                        }
                                    }
                                    return null;
                                }));
            }
            assertThat(warmedUp.await(60, TimeUnit.SECONDS)).isTrue();
            double drainedBefore = drained(kiln);
            // Roll back, forward, and back again, each while every client keeps sending.
            for (int target : new int[] {1, 2, 1}) {
                int before = sent.get();
                AliasState was = state.get();
                state.set(new AliasState(was.seq() + 1, was.version(), false));
                var moved =
                        kiln.sendJson("PUT", FN + "/aliases/prod", "{\"version\": " + target + "}");
                assertThat(moved.statusCode()).as(text(moved)).isEqualTo(200);
                state.set(new AliasState(was.seq() + 2, target, true));
                TestHost.await(
                        "load after the move",
                        java.time.Duration.ofSeconds(60),
                        () -> sent.get() > before + 10 * clients);
            }
            stop.set(true);
            for (Future<?> f : load) {
                f.get(60, TimeUnit.SECONDS);
            }
            pool.shutdown();
            assertThat(wrong).isEmpty();
            assertThat(sent.get()).isGreaterThan(40 * clients);
            // Version 2 lost all its traffic (prod is back on 1; LATEST is 3): its pool drained.
            assertThat(drained(kiln)).isGreaterThan(drainedBefore);
            var after = invokeAlias(kiln, "x");
            assertThat(after.headers().firstValue("X-Kiln-Version")).hasValue("1");
        }
    }

    /** What the alias runs, and whether no move of it is under way; {@code seq} counts changes. */
    private record AliasState(int seq, int version, boolean settled) {}

    /** Instances closed because their pool drained, from the host's metrics. */
    private static double drained(TestHost kiln) {
        for (String line : text(kiln.get("/metrics")).split("\n", -1)) {
            if (line.startsWith("kiln_instances_discarded_total{reason=\"drained\"}")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return 0;
    }

    private static HttpResponse<byte[]> invokeAlias(TestHost kiln, String body) {
        return kiln.send(
                kiln.admin(FN + "/invoke?qualifier=prod")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build());
    }

    private static void runConcurrently(int threads, int each, Runnable call) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            futures.add(
                    pool.submit(
                            () -> {
                                for (int i = 0; i < each; i++) {
                                    call.run();
                                }
                            }));
        }
        for (Future<?> f : futures) {
            f.get(120, TimeUnit.SECONDS);
        }
        pool.shutdown();
    }

    /**
     * The central interval of Binomial(n, p) holding at least {@code level} of its mass: the
     * largest lower bound and smallest upper bound with at most (1 − level) / 2 outside each side.
     */
    static int[] binomialInterval(int n, double p, double level) {
        double[] pmf = new double[n + 1];
        // In log space: p^k (1-p)^(n-k) C(n,k) underflows for large n.
        double logC = 0;
        for (int k = 0; k <= n; k++) {
            if (k > 0) {
                logC += Math.log(n - k + 1) - Math.log(k);
            }
            pmf[k] = Math.exp(logC + k * Math.log(p) + (n - k) * Math.log1p(-p));
        }
        double tail = (1 - level) / 2;
        int lo = 0;
        double below = 0;
        while (below + pmf[lo] <= tail) {
            below += pmf[lo++];
        }
        int hi = n;
        double above = 0;
        while (above + pmf[hi] <= tail) {
            above += pmf[hi--];
        }
        return new int[] {lo, hi};
    }

    @Test
    void theIntervalIsTheKnownOne() {
        // n = 2000, p = 0.1: mean 200, sd 13.4; the normal approximation gives 156..244.
        int[] i = binomialInterval(2000, 0.1, 0.999);
        assertThat(i[0]).isBetween(154, 158);
        assertThat(i[1]).isBetween(243, 247);
    }
}
