package dev.kiln.host.http;

import static dev.kiln.host.testing.TestHost.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Usage metering (docs/adr/0043): under concurrent load from several threads, with the host stopped
 * in the middle of the load and started again on the same data directory twice, {@code GET
 * /api/v1/usage} adds up to exactly the invocation records in {@code records.db} — per function,
 * per service, per key — and a key sees only its services' usage.
 */
class UsageMeteringTest {
    private static final int THREADS = 4;
    private static final int PER_PHASE = 60;

    /** One group's sums: invocations, errors, billedMs, mibMs, fuel, bytesIn, bytesOut. */
    record Sums(
            long invocations,
            long errors,
            long billedMs,
            long mibMs,
            long fuel,
            long in,
            long out) {
        double gbSeconds() {
            return mibMs / (1024.0 * 1000.0);
        }
    }

    @Test
    void usageTotalsEqualTheRecordsExactlyAcrossRestartsUnderLoad(@TempDir Path data)
            throws Exception {
        Instant testStart = Instant.now();
        String devKey;
        String blogViewer;
        Instant lastPhaseStart;
        Map<String, Sums> usageByFunction;
        Map<String, Sums> usageByKey;
        Map<String, Sums> usageByService;
        Map<String, Sums> blogOnly;
        Map<String, Long> counters;
        TestHost first = TestHost.start(data);
        {
            assertThat(first.deploy("shop", "orders", Wat.fixture("logger")).statusCode())
                    .isEqualTo(201);
            assertThat(first.deploy("blog", "feed", Wat.fixture("logger")).statusCode())
                    .isEqualTo(201);
            assertThat(first.patch("blog", "feed", "{\"memoryMiB\":256}").statusCode())
                    .isEqualTo(200);
            devKey = first.createKey("dev", "developer", List.of("shop"));
            blogViewer = first.createKey("blog-viewer", "viewer", List.of("blog"));
            // Phases 1 and 2: the host is closed while the threads are still invoking.
            load(first, devKey, first::close);
        }
        TestHost second = TestHost.start(data);
        load(second, devKey, second::close);
        lastPhaseStart = Instant.now();
        try (TestHost third = TestHost.start(data)) {
            load(third, devKey, () -> {});
            third.host().flushRecords();
            String range =
                    "&from="
                            + testStart.minusSeconds(3600)
                            + "&to="
                            + Instant.now().plusSeconds(3600);
            usageByFunction = sums(third.get("/api/v1/usage?groupBy=function" + range), "function");
            usageByKey = sums(third.get("/api/v1/usage?groupBy=key" + range), "key");
            usageByService =
                    sums(
                            third.get("/api/v1/usage?groupBy=service&granularity=day" + range),
                            "service");
            blogOnly =
                    sums(
                            third.send(
                                    third.as(blogViewer, "/api/v1/usage?groupBy=function" + range)
                                            .GET()
                                            .build()),
                            "function");
            counters = counters(TestHost.text(third.get("/metrics")));
            var invoker = third.createKey("inv", "invoker", null);
            assertThat(third.send(third.as(invoker, "/api/v1/usage").GET().build()).statusCode())
                    .isEqualTo(403);
            assertThat(TestHost.errorCode(third.get("/api/v1/usage?groupBy=region")))
                    .isEqualTo("bad_request");
            assertThat(TestHost.errorCode(third.get("/api/v1/usage?from=2000-01-01T00:00:00Z")))
                    .isEqualTo("bad_request"); // more than 2232 hours
        }

        // What the records say, read from the file after the host is gone.
        Map<String, Sums> recordsByFunction = recordSums(data, "service || '/' || function");
        Map<String, Sums> recordsByKey = recordSums(data, "COALESCE(key_id, 'anonymous')");
        Map<String, Sums> recordsByService = recordSums(data, "service");
        Map<String, Sums> lastPhase =
                recordSums(
                        data,
                        "service || '/' || function",
                        " WHERE started_at >= " + lastPhaseStart.toEpochMilli());

        assertThat(recordsByFunction.values().stream().mapToLong(Sums::invocations).sum())
                .isGreaterThanOrEqualTo(3L * PER_PHASE);
        assertThat(usageByFunction).isEqualTo(recordsByFunction);
        assertThat(usageByKey).isEqualTo(recordsByKey);
        assertThat(usageByKey.keySet()).contains("admin-token", "anonymous");
        assertThat(usageByKey).hasSize(3); // the developer key's id too
        assertThat(usageByService).isEqualTo(recordsByService);
        for (var e : usageByFunction.entrySet()) {
            assertThat(e.getValue().errors()).as(e.getKey() + " has errors").isPositive();
        }
        assertThat(blogOnly).containsOnlyKeys("blog/feed");
        assertThat(blogOnly.get("blog/feed")).isEqualTo(recordsByFunction.get("blog/feed"));
        // GB-seconds follow each function's memory setting: 256 MiB for blog/feed.
        Sums feed = recordsByFunction.get("blog/feed");
        assertThat(feed.mibMs()).isEqualTo(256 * feed.billedMs());
        // The Prometheus counters count what the last host wrote.
        for (var e : lastPhase.entrySet()) {
            int slash = e.getKey().indexOf('/');
            String labels =
                    "{service=\""
                            + e.getKey().substring(0, slash)
                            + "\",function=\""
                            + e.getKey().substring(slash + 1)
                            + "\"}";
            assertThat(counters.get("kiln_usage_invocations_total" + labels))
                    .isEqualTo(e.getValue().invocations());
            assertThat(counters.get("kiln_usage_errors_total" + labels))
                    .isEqualTo(e.getValue().errors());
            assertThat(counters.get("kiln_usage_fuel_total" + labels))
                    .isEqualTo(e.getValue().fuel());
        }
    }

    /**
     * Runs {@link #THREADS} threads invoking both functions in four ways (admin key, developer key
     * with a failing payload, anonymous HTTP trigger, admin) until {@link #PER_PHASE} answers came;
     * then runs {@code whileRunning} (closing the host under load) before stopping them.
     */
    private static void load(TestHost kiln, String devKey, Runnable whileRunning)
            throws InterruptedException {
        AtomicInteger answered = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int thread = t;
            Thread th =
                    new Thread(
                            () -> {
                                for (int i = thread; !stop.get(); i += THREADS) {
                                    try {
                                        HttpResponse<byte[]> r = once(kiln, devKey, i);
                                        if (r.statusCode() == 200 || r.statusCode() == 500) {
                                            answered.incrementAndGet();
                                        }
                                    } catch (RuntimeException e) {
                                        if (stop.get()) {
                                            return;
                                        }
                                    }
                                }
                            });
            th.start();
            threads.add(th);
        }
        TestHost.await("answers", Duration.ofSeconds(60), () -> answered.get() >= PER_PHASE);
        whileRunning.run();
        stop.set(true);
        for (Thread th : threads) {
            th.join(30_000);
            assertThat(th.isAlive()).isFalse();
        }
    }

    private static HttpResponse<byte[]> once(TestHost kiln, String devKey, int i) {
        String payload = "1call " + i + " " + "x".repeat(i % 7);
        return switch (i % 4) {
            case 0 -> kiln.invoke("shop", "orders", payload);
            case 1 ->
                    kiln.send(
                            kiln.as(devKey, "/api/v1/services/shop/functions/orders/invoke")
                                    .POST(HttpRequest.BodyPublishers.ofString("x fails " + i))
                                    .build());
            case 2 ->
                    kiln.send(
                            kiln.request("/fn/blog/feed/")
                                    .POST(HttpRequest.BodyPublishers.ofString(payload))
                                    .build());
            default -> kiln.invoke("blog", "feed", i % 8 == 3 ? "x " + i : payload);
        };
    }

    /** The API's rows summed by one group field ({@code service/function} for function). */
    private static Map<String, Sums> sums(HttpResponse<byte[]> r, String groupBy) {
        assertThat(r.statusCode()).as(TestHost.text(r)).isEqualTo(200);
        Map<String, Sums> out = new TreeMap<>();
        long mibMsTotal = 0;
        for (JsonNode row : json(r).path("usage")) {
            String group =
                    groupBy.equals("function")
                            ? row.path("service").asText() + "/" + row.path("function").asText()
                            : row.path(groupBy).asText();
            // The API gives GB-seconds; MiB-ms are exact integers behind them.
            long mibMs = Math.round(row.path("gbSeconds").asDouble() * 1024.0 * 1000.0);
            mibMsTotal += mibMs;
            out.merge(
                    group,
                    new Sums(
                            row.path("invocations").asLong(),
                            row.path("errors").asLong(),
                            row.path("billedMs").asLong(),
                            mibMs,
                            row.path("fuel").asLong(),
                            row.path("bytesIn").asLong(),
                            row.path("bytesOut").asLong()),
                    UsageMeteringTest::plus);
        }
        JsonNode totals = json(r).path("totals");
        assertThat(totals.path("invocations").asLong())
                .isEqualTo(out.values().stream().mapToLong(Sums::invocations).sum());
        assertThat(Math.round(totals.path("gbSeconds").asDouble() * 1024.0 * 1000.0))
                .isEqualTo(mibMsTotal);
        return out;
    }

    private static Sums plus(Sums a, Sums b) {
        return new Sums(
                a.invocations + b.invocations,
                a.errors + b.errors,
                a.billedMs + b.billedMs,
                a.mibMs + b.mibMs,
                a.fuel + b.fuel,
                a.in + b.in,
                a.out + b.out);
    }

    private static Map<String, Sums> recordSums(Path data, String group) throws Exception {
        return recordSums(data, group, "");
    }

    /** Sums over the rows of {@code invocations} in records.db, billed as the host bills. */
    private static Map<String, Sums> recordSums(Path data, String group, String where)
            throws Exception {
        String billed = "MAX(1, (duration_us + 999) / 1000)";
        Map<String, Sums> out = new TreeMap<>();
        try (Connection db =
                        DriverManager.getConnection("jdbc:sqlite:" + data.resolve("records.db"));
                Statement st = db.createStatement();
                ResultSet rs =
                        st.executeQuery(
                                "SELECT "
                                        + group
                                        + ", COUNT(*), SUM(outcome <> 'ok'), SUM("
                                        + billed
                                        + "), SUM(memory_mib * "
                                        + billed
                                        + "), SUM(fuel), SUM(bytes_in), SUM(bytes_out)"
                                        + " FROM invocations"
                                        + where
                                        + " GROUP BY 1")) {
            while (rs.next()) {
                out.put(
                        rs.getString(1),
                        new Sums(
                                rs.getLong(2),
                                rs.getLong(3),
                                rs.getLong(4),
                                rs.getLong(5),
                                rs.getLong(6),
                                rs.getLong(7),
                                rs.getLong(8)));
            }
        }
        return out;
    }

    /** Counter samples of a Prometheus text page, by name and labels. */
    private static Map<String, Long> counters(String page) {
        Map<String, Long> out = new TreeMap<>();
        for (String l : page.lines().toList()) {
            if (l.startsWith("kiln_usage_")) {
                int space = l.lastIndexOf(' ');
                out.put(l.substring(0, space), (long) Double.parseDouble(l.substring(space + 1)));
            }
        }
        return out;
    }
}
