package dev.kiln.perf;

import dev.kiln.host.KilnHost;
import dev.kiln.host.config.KilnConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import javax.management.ObjectName;

/**
 * Density: how much heap each deployed function costs when it keeps one warm instance. Starts a
 * host in this JVM, deploys N distinct generated functions (each its own code, so its own compiled
 * classes and snapshot) with {@code minInstances: 1}, invokes each once, then measures heap and
 * metaspace after a full GC against the same measurement taken before deploying, and prints the
 * classes that dominate the heap.
 *
 * <pre>
 * java -Xmx2g -cp perf/target/kiln-benchmarks.jar dev.kiln.perf.DensityRun 5000
 * </pre>
 */
public final class DensityRun {
    private static final String TOKEN = "density-token";

    private DensityRun() {}

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int uploaders = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        Path data = Files.createTempDirectory("kiln-density");
        KilnConfig config =
                KilnConfig.builder()
                        .port(0)
                        .dataDir(data)
                        .adminToken(TOKEN)
                        .maxInstances(n + 256)
                        .instanceIdleTtl(Duration.ofDays(1))
                        .recordsPerFunction(1)
                        .build();
        HttpClient http = HttpClient.newHttpClient();
        try (KilnHost host = KilnHost.start(config)) {
            String base = "http://127.0.0.1:" + host.port();
            // Warm the path once so the baseline includes the host's own classes.
            deployAndInvoke(http, base, -1);
            Snapshot before = Snapshot.take();
            long t0 = System.nanoTime();
            AtomicInteger done = new AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(uploaders);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < uploaders; t++) {
                int first = t;
                futures.add(
                        pool.submit(
                                () -> {
                                    for (int i = first; i < n; i += uploaders) {
                                        deployAndInvoke(http, base, i);
                                        int d = done.incrementAndGet();
                                        if (d % 250 == 0 || d == n) {
                                            System.out.printf(
                                                    "deployed %d/%d (%.0f s)%n",
                                                    d, n, (System.nanoTime() - t0) / 1e9);
                                        }
                                    }
                                    return null;
                                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
            pool.shutdown();
            long deploySeconds = (System.nanoTime() - t0) / 1_000_000_000L;
            Snapshot after = Snapshot.take();
            var stats = host.pool();
            String metrics = host.metrics().scrape();
            long snapshotBytes = (long) gauge(metrics, "kiln_snapshot_bytes");
            long privateBytes = stats.idlePrivateBytes();
            System.out.println();
            System.out.printf(
                    "functions: %d, live instances: %d, compiled modules: %d, deploy time: %d s,"
                            + " max heap: %d MiB%n",
                    n,
                    stats.liveInstances(),
                    stats.compiledCount(),
                    deploySeconds,
                    Runtime.getRuntime().maxMemory() >> 20);
            System.out.printf(
                    "| functions | heap used | heap per function | metaspace per function |"
                            + " snapshot images per function | instance-private memory per"
                            + " function |%n");
            System.out.printf(
                    "| %d | %.1f MiB | %.1f KiB | %.1f KiB | %.1f KiB | %.1f KiB |%n",
                    n,
                    (after.heap - before.heap) / 1048576.0,
                    (after.heap - before.heap) / 1024.0 / n,
                    (after.metaspace - before.metaspace) / 1024.0 / n,
                    snapshotBytes / 1024.0 / n,
                    privateBytes / 1024.0 / n);
            for (String line : metrics.lines().toList()) {
                if (line.startsWith("kiln_instances") || line.startsWith("kiln_compilations")) {
                    System.out.println(line);
                }
            }
            System.out.println();
            System.out.println("Top of the heap (class histogram after a full GC):");
            System.out.println(histogram(25));
        } finally {
            TempDirs.deleteTree(data);
        }
    }

    private static double gauge(String metrics, String name) {
        for (String line : metrics.lines().toList()) {
            if (line.startsWith(name + " ")) {
                return Double.parseDouble(line.substring(name.length() + 1));
            }
        }
        return 0;
    }

    /** Uploads generated function {@code i} with one warm instance, then invokes it once. */
    private static void deployAndInvoke(HttpClient http, String base, int i) throws Exception {
        String fn = base + "/api/v1/services/density/functions/f" + (i < 0 ? "warmup" : i);
        HttpResponse<String> put =
                http.send(
                        HttpRequest.newBuilder(URI.create(fn))
                                .header("Authorization", "Bearer " + TOKEN)
                                .header("Content-Type", "application/zip")
                                .PUT(HttpRequest.BodyPublishers.ofByteArray(zip(i)))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        if (put.statusCode() / 100 != 2) {
            throw new IllegalStateException("upload " + i + ": " + put.body());
        }
        HttpResponse<String> call =
                http.send(
                        HttpRequest.newBuilder(URI.create(fn + "/invoke"))
                                .header("Authorization", "Bearer " + TOKEN)
                                .POST(HttpRequest.BodyPublishers.ofString("density"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        if (call.statusCode() != 200) {
            throw new IllegalStateException("invoke " + i + ": " + call.body());
        }
    }

    private static byte[] zip(int i) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(out)) {
            z.putNextEntry(new ZipEntry("kiln.json"));
            z.write("{\"module\":\"f.wasm\",\"minInstances\":1}".getBytes(StandardCharsets.UTF_8));
            z.putNextEntry(new ZipEntry("f.wasm"));
            z.write(GeneratedModules.smallFunction(i));
        }
        return out.toByteArray();
    }

    /** Heap and metaspace in use after a full collection. */
    private record Snapshot(long heap, long metaspace) {
        static Snapshot take() throws InterruptedException {
            for (int i = 0; i < 3; i++) {
                System.gc();
                Thread.sleep(200);
            }
            long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            long meta = 0;
            for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
                if (p.getName().equals("Metaspace")) {
                    meta = p.getUsage().getUsed();
                }
            }
            return new Snapshot(heap, meta);
        }
    }

    private static String histogram(int lines) throws Exception {
        String text =
                (String)
                        ManagementFactory.getPlatformMBeanServer()
                                .invoke(
                                        new ObjectName("com.sun.management:type=DiagnosticCommand"),
                                        "gcClassHistogram",
                                        new Object[] {new String[0]},
                                        new String[] {String[].class.getName()});
        String[] all = text.lines().toArray(String[]::new);
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < Math.min(all.length, lines + 3); i++) {
            out.append(all[i]).append('\n');
        }
        return out.toString();
    }
}
