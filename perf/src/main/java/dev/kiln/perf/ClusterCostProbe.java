package dev.kiln.perf;

import com.dylibso.chicory.wabt.Wat2Wasm;
import dev.kiln.host.KilnHost;
import dev.kiln.host.config.ClusterSettings;
import dev.kiln.host.config.KilnConfig;
import dev.kiln.loadgen.LoadGenerator;
import dev.kiln.loadgen.LoadResult;
import dev.kiln.loadgen.LoadSpec;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
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
import java.util.concurrent.Future;

/**
 * Issue 22 item 9: what cluster mode costs one node with room. Two real hosts in one JVM serve the
 * same echo ({@code peers/echo.wat}, the module {@code perf/run} serves): {@code embedded} (the
 * default, SQLite) and {@code cluster} ({@code --cluster} to one {@code nats-server} with
 * JetStream). Closed-loop rounds alternate between them (order flipped each round) so a shared,
 * noisy machine loads both alike; prints the median throughput and p99 of each and the median
 * per-round ratios cluster / embedded. Goal: throughput ratio ≥ 0.90 (cluster costs ≤ 10 %).
 *
 * <p>Then deploy-to-invocable-everywhere: two more cluster nodes join, and each of {@code deploys}
 * new versions (a module answering its own version string) is put on the first node while one
 * client per other node invokes there until it answers the new version; the time from sending the
 * {@code PUT} to the last node answering it, against the same on the embedded host (until it
 * answers the new version itself). A forwarded call's cost is {@link ForwardedCallProbe}'s.
 *
 * <p>{@code java -cp perf/target/kiln-benchmarks.jar dev.kiln.perf.ClusterCostProbe [rounds]
 * [seconds per round] [connections] [deploys]} (needs {@code nats-server} on the PATH).
 */
public final class ClusterCostProbe {
    static final String TOKEN = "probe-admin-token";
    static final String ECHO = "/api/v1/services/bench/functions/echo";
    static final String VERSIONED = "/api/v1/services/bench/functions/versioned";

    /** What one run measured. */
    public record Result(
            double embeddedRps,
            double clusterRps,
            double rpsRatio,
            double embeddedP99Us,
            double clusterP99Us,
            double p99Ratio,
            long errors,
            double embeddedDeployMs,
            double clusterDeployMs,
            double clusterDeployMaxMs,
            String load) {
        @Override
        public String toString() {
            return String.format(
                    "cluster-cost: echo throughput embedded %.0f req/s, cluster %.0f req/s, median"
                            + " ratio %.3f; p99 embedded %.0f us, cluster %.0f us, median ratio"
                            + " %.3f; errors %d; deploy to invocable: embedded %.1f ms, cluster"
                            + " (all 3 nodes) median %.1f ms, max %.1f ms, ratio %.2f; load %s",
                    embeddedRps,
                    clusterRps,
                    rpsRatio,
                    embeddedP99Us,
                    clusterP99Us,
                    p99Ratio,
                    errors,
                    embeddedDeployMs,
                    clusterDeployMs,
                    clusterDeployMaxMs,
                    clusterDeployMs / embeddedDeployMs,
                    load);
        }
    }

    private ClusterCostProbe() {}

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        int connections = args.length > 2 ? Integer.parseInt(args[2]) : 4;
        int deploys = args.length > 3 ? Integer.parseInt(args[3]) : 10;
        System.out.println(run(rounds, seconds, connections, deploys));
    }

    /** Runs the whole probe: its own nats-server, hosts and scratch directories. */
    public static Result run(int rounds, int seconds, int connections, int deploys)
            throws Exception {
        String loadBefore = ObservabilityOverheadProbe.loadAverage();
        Path dir = Files.createTempDirectory("kiln-cluster-probe");
        Path secretsKey = dir.resolve("secrets.key");
        byte[] raw = new byte[32];
        new java.security.SecureRandom().nextBytes(raw);
        Files.writeString(secretsKey, "k1 " + java.util.Base64.getEncoder().encodeToString(raw));
        Files.setPosixFilePermissions(
                secretsKey, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        int natsPort = freePort();
        Process nats =
                new ProcessBuilder(
                                "nats-server",
                                "-js",
                                "-a",
                                "127.0.0.1",
                                "-p",
                                String.valueOf(natsPort),
                                "-sd",
                                dir.resolve("nats").toString())
                        .redirectErrorStream(true)
                        .redirectOutput(dir.resolve("nats.log").toFile())
                        .start();
        List<KilnHost> hosts = new ArrayList<>();
        try {
            awaitPort(natsPort);
            List<String> urls = List.of("nats://127.0.0.1:" + natsPort);
            KilnHost embedded = start(hosts, base(dir.resolve("embedded")));
            KilnHost a = start(hosts, clustered(dir.resolve("a"), urls, "a", secretsKey));
            HttpClient client = HttpClient.newHttpClient();
            byte[] echo = WatResources.wasm("/peers/echo.wat");
            put(client, embedded, ECHO, echo, 201);
            put(client, a, ECHO, echo, 201);
            for (int i = 0; i < 3; i++) { // both paths compiled by the JIT before anything counts
                round(embedded, 1, connections);
                round(a, 1, connections);
            }
            List<Double> eRps = new ArrayList<>();
            List<Double> cRps = new ArrayList<>();
            List<Double> ratios = new ArrayList<>();
            List<Double> eP99 = new ArrayList<>();
            List<Double> cP99 = new ArrayList<>();
            List<Double> p99Ratios = new ArrayList<>();
            long errors = 0;
            for (int r = 0; r < rounds; r++) {
                LoadResult e;
                LoadResult c;
                if (r % 2 == 0) {
                    e = round(embedded, seconds, connections);
                    c = round(a, seconds, connections);
                } else {
                    c = round(a, seconds, connections);
                    e = round(embedded, seconds, connections);
                }
                errors += e.errorResponses() + e.ioErrors() + c.errorResponses() + c.ioErrors();
                eRps.add(e.throughput());
                cRps.add(c.throughput());
                ratios.add(c.throughput() / e.throughput());
                eP99.add(e.percentiles().p99());
                cP99.add(c.percentiles().p99());
                p99Ratios.add(c.percentiles().p99() / e.percentiles().p99());
            }
            // deploy to invocable everywhere: b and c join only now, so the rounds above had
            // one cluster node
            KilnHost b = start(hosts, clustered(dir.resolve("b"), urls, "b", secretsKey));
            KilnHost c = start(hosts, clustered(dir.resolve("c"), urls, "c", secretsKey));
            List<Double> embeddedDeploy = new ArrayList<>();
            List<Double> clusterDeploy = new ArrayList<>();
            ExecutorService pollers = Executors.newFixedThreadPool(2);
            try {
                for (int v = 0; v <= deploys; v++) { // version 0 deploys the function: not timed
                    double e = deployed(client, embedded, List.of(embedded), v, pollers);
                    double k = deployed(client, a, List.of(b, c), v, pollers);
                    if (v > 0) {
                        embeddedDeploy.add(e);
                        clusterDeploy.add(k);
                    }
                }
            } finally {
                pollers.shutdownNow();
            }
            return new Result(
                    median(eRps),
                    median(cRps),
                    median(ratios),
                    median(eP99),
                    median(cP99),
                    median(p99Ratios),
                    errors,
                    median(embeddedDeploy),
                    median(clusterDeploy),
                    Collections.max(clusterDeploy),
                    loadBefore + " -> " + ObservabilityOverheadProbe.loadAverage());
        } finally {
            for (KilnHost h : hosts.reversed()) {
                h.close();
            }
            nats.destroy();
            nats.waitFor();
            TempDirs.deleteTree(dir);
        }
    }

    private static KilnHost start(List<KilnHost> hosts, KilnConfig.Builder config)
            throws IOException {
        KilnHost h = KilnHost.start(config.build());
        hosts.add(h);
        return h;
    }

    private static KilnConfig.Builder base(Path dir) {
        return KilnConfig.builder().port(0).dataDir(dir).adminToken(TOKEN);
    }

    private static KilnConfig.Builder clustered(
            Path dir, List<String> urls, String name, Path secretsKey) {
        return base(dir)
                .cluster(new ClusterSettings(urls, "default", name).withSecretsKey(secretsKey));
    }

    static LoadResult round(KilnHost node, int seconds, int connections)
            throws IOException, InterruptedException {
        return LoadGenerator.run(
                LoadSpec.builder(URI.create("http://127.0.0.1:" + node.port() + ECHO + "/invoke"))
                        .method("POST")
                        .header("Authorization: Bearer " + TOKEN)
                        .body("hello, world!!!!".getBytes(StandardCharsets.UTF_8))
                        .connections(connections)
                        .threads(1)
                        .warmup(Duration.ofMillis(200))
                        .duration(Duration.ofSeconds(seconds))
                        .build());
    }

    /**
     * Puts version {@code v} on {@code on} and returns the milliseconds from sending the {@code
     * PUT} until every node of {@code readers} answers it.
     */
    static double deployed(
            HttpClient client, KilnHost on, List<KilnHost> readers, int v, ExecutorService pollers)
            throws Exception {
        String expected = "v" + v;
        byte[] wasm = versionModule(expected);
        long t0 = System.nanoTime();
        List<Future<Long>> seen = new ArrayList<>();
        for (KilnHost r : readers) {
            seen.add(pollers.submit(() -> firstAnswer(client, r, expected, t0)));
        }
        put(client, on, VERSIONED, wasm, v == 0 ? 201 : 200);
        long last = 0;
        for (Future<Long> f : seen) {
            last = Math.max(last, f.get());
        }
        return (last - t0) / 1e6;
    }

    /** Invokes on {@code node} until it answers {@code expected}; the nanos of that answer. */
    private static long firstAnswer(HttpClient client, KilnHost node, String expected, long t0)
            throws Exception {
        HttpRequest req =
                HttpRequest.newBuilder(
                                URI.create(
                                        "http://127.0.0.1:" + node.port() + VERSIONED + "/invoke"))
                        .header("Authorization", "Bearer " + TOKEN)
                        .POST(HttpRequest.BodyPublishers.ofString("?"))
                        .build();
        long deadline = t0 + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            var r = client.send(req, HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 200 && r.body().equals(expected)) {
                return System.nanoTime();
            }
            Thread.sleep(1);
        }
        throw new IllegalStateException(expected + " not invocable within 30 s");
    }

    /** A module that answers {@code text} whatever it is given. */
    static byte[] versionModule(String text) {
        return Wat2Wasm.parse(
                """
                (module
                  (memory (export "memory") 1)
                  (data (i32.const 16) "%s")
                  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
                  (func (export "kiln_handle") (param i32 i32) (result i64)
                    (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const %d))))
                """
                        .formatted(text, text.length()));
    }

    private static void put(HttpClient client, KilnHost node, String path, byte[] wasm, int want)
            throws Exception {
        var put =
                client.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port() + path))
                                .header("Authorization", "Bearer " + TOKEN)
                                .header("Content-Type", "application/wasm")
                                .PUT(HttpRequest.BodyPublishers.ofByteArray(wasm))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        if (put.statusCode() != want) {
            throw new IllegalStateException(
                    "deploy answered " + put.statusCode() + ": " + put.body());
        }
    }

    private static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        return s.get(s.size() / 2);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static void awaitPort(int port) throws InterruptedException {
        long until = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < until) {
            try (Socket s = new Socket(java.net.InetAddress.getLoopbackAddress(), port)) {
                if (s.isConnected()) {
                    return;
                }
            } catch (IOException e) {
                Thread.sleep(50);
            }
        }
        throw new IllegalStateException("nats-server did not listen on " + port);
    }
}
