package dev.kiln.perf;

import dev.kiln.host.KilnHost;
import dev.kiln.host.config.ClusterSettings;
import dev.kiln.host.config.KilnConfig;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Issue 22 item 9, in part: what forwarding an invocation to another cluster node costs (docs/adr/
 * 0056). One {@code nats-server} with JetStream and two Kiln nodes in this JVM: node {@code a} has
 * one worker and room for one waiting call, both held by a function that spins until its 60 s
 * timeout, so every echo sent to {@code a} is refused there and forwarded to {@code b}. Rounds
 * alternate between echo sent to {@code b} (run where it arrives: the cluster node with room) and
 * echo sent to {@code a} (forwarded to {@code b}); each round is {@code calls} sequential requests
 * on one keep-alive client. Prints the median and p99 of each, in microseconds, and the load
 * average. The spinning worker holds one core for the whole run: both kinds of call share what is
 * left alike.
 *
 * <p>{@code java -cp perf/target/kiln-benchmarks.jar dev.kiln.perf.ForwardedCallProbe [rounds]
 * [calls per round]} (needs {@code nats-server} on the PATH).
 */
public final class ForwardedCallProbe {
    private static final String TOKEN = "probe-admin-token";
    private static final String ECHO = "/api/v1/services/bench/functions/echo/invoke";

    private ForwardedCallProbe() {}

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 6;
        int calls = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
        Path dir = Files.createTempDirectory("kiln-forward-probe");
        // Cluster nodes share one secrets keyring (docs/adr/0054).
        Path secretsKey = dir.resolve("secrets.key");
        byte[] raw = new byte[32];
        new java.security.SecureRandom().nextBytes(raw);
        Files.writeString(secretsKey, "k1 " + java.util.Base64.getEncoder().encodeToString(raw));
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
        ExecutorService holders = Executors.newCachedThreadPool();
        try {
            awaitPort(natsPort);
            List<String> urls = List.of("nats://127.0.0.1:" + natsPort);
            try (KilnHost a =
                            KilnHost.start(
                                    config(dir.resolve("a"), urls, "a", secretsKey)
                                            .workerThreads(1)
                                            .workerQueue(1)
                                            .queueWait(Duration.ofMinutes(2))
                                            .build());
                    KilnHost b =
                            KilnHost.start(
                                    config(dir.resolve("b"), urls, "b", secretsKey).build())) {
                HttpClient client = HttpClient.newHttpClient();
                put(client, a, "echo", WatResources.wasm("/peers/echo.wat"), null);
                put(
                        client,
                        a,
                        "spin",
                        WatResources.wasm("/soak/spin.wat"),
                        "{\"timeoutMs\":60000,\"fuel\":1000000000000}");
                // warm both nodes, then hold a's worker and its one queue place
                for (int i = 0; i < 200; i++) {
                    call(client, a, ECHO);
                    call(client, b, ECHO);
                }
                for (int i = 0; i < 2; i++) {
                    var unused =
                            holders.submit(
                                    () ->
                                            call(
                                                    client,
                                                    a,
                                                    "/api/v1/services/bench/functions/spin/invoke"));
                    long until = System.nanoTime() + 10_000_000_000L;
                    while (a.invoker().inUse() < i + 1 && System.nanoTime() < until) {
                        Thread.sleep(10);
                    }
                }
                Thread.sleep(200); // a stops taking forwarded calls within its 20 ms room check
                String check = call(client, a, ECHO);
                if (!check.equals("b")) {
                    throw new IllegalStateException("echo on a ran on " + check + ", not b");
                }
                System.out.printf("load average before: %s%n", loadAverage());
                long[] local = new long[rounds * calls];
                long[] forwarded = new long[rounds * calls];
                for (int r = 0; r < rounds; r++) {
                    boolean localFirst = r % 2 == 0;
                    round(
                            client,
                            localFirst ? b : a,
                            localFirst ? local : forwarded,
                            r * calls,
                            calls);
                    round(
                            client,
                            localFirst ? a : b,
                            localFirst ? forwarded : local,
                            r * calls,
                            calls);
                }
                System.out.printf("load average after: %s%n", loadAverage());
                report("sent to b, ran on b (has room)", local);
                report("sent to a, forwarded to b", forwarded);
            }
        } finally {
            holders.shutdownNow();
            nats.destroy();
            nats.waitFor();
            TempDirs.deleteTree(dir);
        }
    }

    private static KilnConfig.Builder config(
            Path dir, List<String> urls, String name, Path secretsKey) {
        return KilnConfig.builder()
                .port(0)
                .dataDir(dir)
                .adminToken(TOKEN)
                .cluster(new ClusterSettings(urls, "default", name).withSecretsKey(secretsKey));
    }

    private static void round(HttpClient client, KilnHost node, long[] into, int from, int calls)
            throws Exception {
        for (int i = 0; i < calls; i++) {
            long t0 = System.nanoTime();
            String ran = call(client, node, ECHO);
            into[from + i] = (System.nanoTime() - t0) / 1_000;
            if (!ran.equals("b")) { // a's holders ended: the numbers would not be forwarded calls
                throw new IllegalStateException("echo ran on " + ran + ", not b");
            }
        }
    }

    /** Invokes and returns the node that answered; fails on anything but 200. */
    private static String call(HttpClient client, KilnHost node, String path) throws Exception {
        HttpResponse<String> r =
                client.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port() + path))
                                .header("Authorization", "Bearer " + TOKEN)
                                .POST(HttpRequest.BodyPublishers.ofString("hello, world"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200 && !path.contains("spin")) {
            throw new IllegalStateException(r.statusCode() + " " + r.body());
        }
        return r.headers().firstValue("X-Kiln-Node").orElse("?");
    }

    private static void put(
            HttpClient client, KilnHost node, String function, byte[] wasm, String settings)
            throws Exception {
        String base =
                "http://127.0.0.1:" + node.port() + "/api/v1/services/bench/functions/" + function;
        var put =
                client.send(
                        HttpRequest.newBuilder(URI.create(base))
                                .header("Authorization", "Bearer " + TOKEN)
                                .header("Content-Type", "application/wasm")
                                .PUT(HttpRequest.BodyPublishers.ofByteArray(wasm))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        if (put.statusCode() != 201) {
            throw new IllegalStateException("deploy failed: " + put.body());
        }
        if (settings != null) {
            var patch =
                    client.send(
                            HttpRequest.newBuilder(URI.create(base))
                                    .header("Authorization", "Bearer " + TOKEN)
                                    .header("Content-Type", "application/json")
                                    .method("PATCH", HttpRequest.BodyPublishers.ofString(settings))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            if (patch.statusCode() != 200) {
                throw new IllegalStateException("settings failed: " + patch.body());
            }
        }
    }

    private static void report(String what, long[] micros) {
        long[] sorted = micros.clone();
        Arrays.sort(sorted);
        System.out.printf(
                "%-34s n=%d  p50 %d µs  p99 %d µs%n",
                what,
                sorted.length,
                sorted[sorted.length / 2],
                sorted[(int) Math.min(sorted.length - 1L, Math.round(sorted.length * 0.99))]);
    }

    private static String loadAverage() throws IOException {
        return Files.readString(Path.of("/proc/loadavg")).trim();
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
