package dev.kiln.perf;

import dev.kiln.host.KilnHost;
import dev.kiln.host.config.CompileAt;
import dev.kiln.host.config.KilnConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * End to end over HTTP on a real host: a function never seen before (its own code, so nothing is
 * cached) is uploaded, then invoked. {@code firstInvoke} times only the first invocation after the
 * upload answered; {@code uploadAndFirstInvoke} times both; {@code secondInvoke} is the baseline of
 * an invocation that finds a ready instance. With {@code compileAt=UPLOAD} the upload compiles and
 * initialises, so the first invocation is a pool hit; with {@code FIRST_USE} it pays for it.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 200)
@Measurement(iterations = 200)
public class FirstRequestBenchmark extends KilnForkedBenchmark {
    private static final String TOKEN = "bench-token";

    /** A host on a free port and an HTTP client for it. */
    @State(Scope.Benchmark)
    public static class Host {
        @Param({"UPLOAD", "FIRST_USE"})
        public CompileAt compileAt;

        private Path data;
        private KilnHost host;
        private HttpClient http;
        private String base;
        private final AtomicInteger next = new AtomicInteger();

        @Setup(Level.Trial)
        public void start() throws IOException {
            data = Files.createTempDirectory("kiln-first-request");
            host =
                    KilnHost.start(
                            KilnConfig.builder()
                                    .port(0)
                                    .dataDir(data)
                                    .adminToken(TOKEN)
                                    .compileAt(compileAt)
                                    .build());
            http = HttpClient.newHttpClient();
            base = "http://127.0.0.1:" + host.port() + "/api/v1/services/bench/functions/";
        }

        @TearDown(Level.Trial)
        public void stop() throws IOException {
            host.close();
            TempDirs.deleteTree(data);
        }

        /** Uploads a brand-new function (its own code, so nothing is cached); returns its name. */
        String upload(String prefix) throws Exception {
            int n = next.incrementAndGet();
            String fn = prefix + n;
            var r =
                    http.send(
                            HttpRequest.newBuilder(URI.create(base + fn))
                                    .header("Authorization", "Bearer " + TOKEN)
                                    .header("Content-Type", "application/wasm")
                                    .PUT(
                                            HttpRequest.BodyPublishers.ofByteArray(
                                                    GeneratedModules.smallFunction(n + 1_000_000)))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 201) {
                throw new IllegalStateException("upload answered " + r.statusCode() + r.body());
            }
            return fn;
        }

        int invoke(String fn) throws Exception {
            var r =
                    http.send(
                            HttpRequest.newBuilder(URI.create(base + fn + "/invoke"))
                                    .header("Authorization", "Bearer " + TOKEN)
                                    .POST(HttpRequest.BodyPublishers.ofString("bench"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException(
                        "invoke of " + fn + " answered " + r.statusCode() + ": " + r.body());
            }
            return r.statusCode();
        }
    }

    /** A function uploaded just now, never invoked. */
    @State(Scope.Thread)
    public static class Uploaded {
        String name;

        @Setup(Level.Invocation)
        public void upload(Host h) throws Exception {
            name = h.upload("f");
        }
    }

    /** A function uploaded and invoked once, so its next invocation finds a ready instance. */
    @State(Scope.Thread)
    public static class Invoked {
        String name;

        @Setup(Level.Invocation)
        public void uploadAndInvoke(Host h) throws Exception {
            name = h.upload("s");
            h.invoke(name);
        }
    }

    @Benchmark
    public int firstInvoke(Host h, Uploaded u) throws Exception {
        return h.invoke(u.name);
    }

    @Benchmark
    public int uploadAndFirstInvoke(Host h) throws Exception {
        return h.invoke(h.upload("u"));
    }

    /** Baseline: an invocation that finds a ready instance. */
    @Benchmark
    public int secondInvoke(Host h, Invoked i) throws Exception {
        return h.invoke(i.name);
    }
}
