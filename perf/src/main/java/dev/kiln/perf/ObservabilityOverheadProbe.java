package dev.kiln.perf;

import com.dylibso.chicory.wabt.Wat2Wasm;
import com.sun.net.httpserver.HttpServer;
import dev.kiln.host.KilnHost;
import dev.kiln.host.config.KilnConfig;
import dev.kiln.host.observability.TracingSettings;
import dev.kiln.loadgen.LoadGenerator;
import dev.kiln.loadgen.LoadResult;
import dev.kiln.loadgen.LoadSpec;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Issue 19 item 7: what the observability of docs/adr/0043 and 0047 costs echo throughput over
 * HTTP. Two real hosts in one JVM serve the same function (an echo that logs one line per
 * invocation): {@code off} as shipped by default, {@code on} with tracing exported by OTLP to a
 * loopback sink (a span per request, per invocation, per phase and per record write) and a log
 * follower ({@code logs?follow=true}) streaming every line. Records, usage, statistics and the
 * latency histograms have no switch: both hosts have them (their work is the record writer's, off
 * the request path). Rounds alternate between the hosts (order flipped each round) so a shared,
 * noisy machine loads both alike; prints the median throughput of each and the median per-round
 * ratio on / off with its quartiles, and the load average before and after. Goal: ratio ≥ 0.95.
 *
 * <p>{@code java -cp perf/target/kiln-benchmarks.jar dev.kiln.perf.ObservabilityOverheadProbe
 * [rounds] [seconds per round] [connections] [all|tracing|follower] [sample ratio] [samples per
 * second]}: the fourth argument turns on only part of it, the fifth and sixth are {@code
 * --otlp-sample-ratio} and {@code --otlp-samples-per-second} (default Kiln's: 0.05 beyond one a
 * second; a ratio of 1 traces every request).
 */
public final class ObservabilityOverheadProbe {
    private static final String TOKEN = "probe-admin-token";

    /** Echoes its payload and logs it at info (the logger fixture's shape, level digit first). */
    static final String LOGGING_ECHO =
            """
            (module
              (import "kiln" "log" (func $log (param i32 i32 i32) (result i32)))
              (memory (export "memory") 1)
              (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
              (func (export "kiln_handle") (param $p i32) (param $n i32) (result i64)
                (if (i32.gt_u (local.get $n) (i32.const 1))
                  (then (drop (call $log (i32.const 1)
                                         (i32.add (local.get $p) (i32.const 1))
                                         (i32.sub (local.get $n) (i32.const 1))))))
                (i64.or (i64.shl (i64.extend_i32_u (local.get $p)) (i64.const 32))
                        (i64.extend_i32_u (local.get $n)))))
            """;

    private ObservabilityOverheadProbe() {}

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int connections = args.length > 2 ? Integer.parseInt(args[2]) : 4;
        String what = args.length > 3 ? args[3] : "all";
        double ratio =
                args.length > 4
                        ? Double.parseDouble(args[4])
                        : TracingSettings.DEFAULT_SAMPLE_RATIO;
        int perSecond =
                args.length > 5
                        ? Integer.parseInt(args[5])
                        : TracingSettings.DEFAULT_SAMPLES_PER_SECOND;
        boolean traced = what.equals("all") || what.equals("tracing");
        boolean followed = what.equals("all") || what.equals("follower");
        String loadBefore = loadAverage();
        try (Sink sink = Sink.start();
                Side off = Side.start("off", null, 1.0, 0);
                Side on = Side.start("on", traced ? sink : null, ratio, perSecond)) {
            Follower follower = followed ? Follower.attach(on) : null;
            try {
                // Warm-up: both hosts' paths compiled by the JIT before anything counts.
                for (int i = 0; i < 3; i++) {
                    off.round(1, connections);
                    on.round(1, connections);
                }
                List<Double> offRps = new ArrayList<>();
                List<Double> onRps = new ArrayList<>();
                List<Double> ratios = new ArrayList<>();
                for (int r = 0; r < rounds; r++) {
                    double a;
                    double b;
                    if (r % 2 == 0) {
                        a = off.round(seconds, connections);
                        b = on.round(seconds, connections);
                    } else {
                        b = on.round(seconds, connections);
                        a = off.round(seconds, connections);
                    }
                    offRps.add(a);
                    onRps.add(b);
                    ratios.add(b / a);
                }
                System.out.printf(
                        "%s on (%d new traces a second, then sample ratio %s): %d rounds of %d s,"
                            + " %d connections, 16 B echo that logs a line: median off %.0f req/s,"
                            + " on %.0f req/s; median ratio on/off %.3f (p25 %.3f, p75 %.3f); load"
                            + " average %s -> %s; OTLP requests %d (%d bytes), follower bytes %d,"
                            + " errors off %d on %d%n",
                        what,
                        perSecond,
                        ratio,
                        rounds,
                        seconds,
                        connections,
                        median(offRps),
                        median(onRps),
                        median(ratios),
                        quantile(ratios, 0.25),
                        quantile(ratios, 0.75),
                        loadBefore,
                        loadAverage(),
                        sink.requests.get(),
                        sink.bytes.get(),
                        follower == null ? 0 : follower.bytes.get(),
                        off.errors,
                        on.errors);
            } finally {
                if (follower != null) {
                    follower.close();
                }
            }
        }
    }

    /** One host with the logging echo deployed. */
    static final class Side implements AutoCloseable {
        final String name;
        final Path dir;
        final KilnHost host;
        long errors;

        private Side(String name, Path dir, KilnHost host) {
            this.name = name;
            this.dir = dir;
            this.host = host;
        }

        static Side start(String name, Sink sink, double sampleRatio, int samplesPerSecond)
                throws Exception {
            Path dir = Files.createTempDirectory("kiln-obs-" + name);
            var b = KilnConfig.builder().port(0).dataDir(dir).adminToken(TOKEN);
            if (sink != null) {
                b.tracing(
                        new TracingSettings(
                                URI.create(sink.endpoint()),
                                "kiln-probe",
                                Duration.ofSeconds(1),
                                sampleRatio,
                                samplesPerSecond));
            }
            Side side = new Side(name, dir, KilnHost.start(b.build()));
            var put =
                    HttpClient.newHttpClient()
                            .send(
                                    side.admin("/api/v1/services/bench/functions/echo")
                                            .header("Content-Type", "application/wasm")
                                            .PUT(
                                                    HttpRequest.BodyPublishers.ofByteArray(
                                                            Wat2Wasm.parse(LOGGING_ECHO)))
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString());
            if (put.statusCode() != 201) {
                throw new IllegalStateException("deploy failed: " + put.body());
            }
            return side;
        }

        URI uri(String path) {
            return URI.create("http://127.0.0.1:" + host.port() + path);
        }

        HttpRequest.Builder admin(String path) {
            return HttpRequest.newBuilder(uri(path)).header("Authorization", "Bearer " + TOKEN);
        }

        /** Echo requests per second over {@code seconds} of closed-loop load. */
        double round(int seconds, int connections) throws IOException, InterruptedException {
            LoadResult r =
                    LoadGenerator.run(
                            LoadSpec.builder(uri("/api/v1/services/bench/functions/echo/invoke"))
                                    .method("POST")
                                    .header("Authorization: Bearer " + TOKEN)
                                    .body("1hello, world!!!".getBytes(StandardCharsets.UTF_8))
                                    .connections(connections)
                                    .threads(1)
                                    .warmup(Duration.ofMillis(200))
                                    .duration(Duration.ofSeconds(seconds))
                                    .build());
            errors += r.errorResponses() + r.ioErrors();
            return r.throughput();
        }

        @Override
        public void close() throws IOException {
            host.close();
            TempDirs.deleteTree(dir);
        }
    }

    /** A client following the function's logs, reading and dropping what streams in. */
    static final class Follower implements AutoCloseable {
        final AtomicLong bytes = new AtomicLong();
        private final ExecutorService reader = Executors.newSingleThreadExecutor();
        private volatile InputStream stream;

        static Follower attach(Side side) throws Exception {
            Follower f = new Follower();
            var response =
                    HttpClient.newHttpClient()
                            .send(
                                    side.admin(
                                                    "/api/v1/services/bench/functions/echo/logs"
                                                            + "?follow=true")
                                            .GET()
                                            .build(),
                                    HttpResponse.BodyHandlers.ofInputStream());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("follow failed: " + response.statusCode());
            }
            f.stream = response.body();
            f.reader.execute(
                    () -> {
                        byte[] buf = new byte[8192];
                        try {
                            for (int n; (n = f.stream.read(buf)) >= 0; ) {
                                f.bytes.addAndGet(n);
                            }
                        } catch (IOException closed) {
                            // the probe is over
                        }
                    });
            return f;
        }

        @Override
        public void close() throws IOException {
            stream.close();
            reader.shutdownNow();
        }
    }

    /** An OTLP/HTTP collector that counts and drops what it gets. */
    static final class Sink implements AutoCloseable {
        final AtomicLong requests = new AtomicLong();
        final AtomicLong bytes = new AtomicLong();
        private final HttpServer server;
        private final ExecutorService executor = Executors.newSingleThreadExecutor();

        private Sink(HttpServer server) {
            this.server = server;
        }

        static Sink start() throws IOException {
            Sink s =
                    new Sink(
                            HttpServer.create(
                                    new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0));
            s.server.createContext(
                    "/v1/traces",
                    ex -> {
                        try (InputStream in = ex.getRequestBody()) {
                            s.bytes.addAndGet(in.readAllBytes().length);
                            s.requests.incrementAndGet();
                            ex.getResponseHeaders().add("Content-Type", "application/x-protobuf");
                            // An empty ExportTraceServiceResponse: zero bytes of protobuf.
                            ex.sendResponseHeaders(200, -1);
                        } finally {
                            ex.close();
                        }
                    });
            s.server.setExecutor(s.executor);
            s.server.start();
            return s;
        }

        String endpoint() {
            return "http://127.0.0.1:" + server.getAddress().getPort();
        }

        @Override
        public void close() {
            server.stop(0);
            executor.shutdownNow();
        }
    }

    static String loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split(" ", 4);
            return parts[0] + "/" + parts[1] + "/" + parts[2];
        } catch (IOException | ArrayIndexOutOfBoundsException e) {
            return "?";
        }
    }

    private static double median(List<Double> xs) {
        return quantile(xs, 0.5);
    }

    private static double quantile(List<Double> xs, double q) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        return s.get((int) Math.round(q * (s.size() - 1)));
    }
}
