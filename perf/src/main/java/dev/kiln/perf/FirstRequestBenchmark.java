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
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
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
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 200)
@Measurement(iterations = 200)
@Fork(1)
public class FirstRequestBenchmark {
    private static final String TOKEN = "bench-token";

    @Param({"UPLOAD", "FIRST_USE"})
    public CompileAt compileAt;

    private Path data;
    private KilnHost host;
    private HttpClient http;
    private String base;
    private int next;

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
        try (var files = Files.walk(data)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private void put(String fn) throws Exception {
        var r =
                http.send(
                        HttpRequest.newBuilder(URI.create(base + fn))
                                .header("Authorization", "Bearer " + TOKEN)
                                .header("Content-Type", "application/wasm")
                                .PUT(
                                        HttpRequest.BodyPublishers.ofByteArray(
                                                GeneratedModules.smallFunction(next + 1_000_000)))
                                .build(),
                        HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() != 201) {
            throw new IllegalStateException("upload answered " + r.statusCode());
        }
    }

    private int invoke(String fn) throws Exception {
        var r =
                http.send(
                        HttpRequest.newBuilder(URI.create(base + fn + "/invoke"))
                                .header("Authorization", "Bearer " + TOKEN)
                                .POST(HttpRequest.BodyPublishers.ofString("bench"))
                                .build(),
                        HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("invoke answered " + r.statusCode());
        }
        return r.statusCode();
    }

    /** A function uploaded just now, never invoked. */
    @State(Scope.Thread)
    public static class Uploaded {
        String name;

        @Setup(Level.Invocation)
        public void upload(FirstRequestBenchmark b) throws Exception {
            name = "f" + b.next++;
            b.put(name);
        }
    }

    /** A function uploaded and invoked once, so its next invocation finds a ready instance. */
    @State(Scope.Thread)
    public static class Invoked {
        String name;

        @Setup(Level.Invocation)
        public void uploadAndInvoke(FirstRequestBenchmark b) throws Exception {
            name = "s" + b.next++;
            b.put(name);
            b.invoke(name);
        }
    }

    @Benchmark
    public int firstInvoke(Uploaded u) throws Exception {
        return invoke(u.name);
    }

    @Benchmark
    public int uploadAndFirstInvoke() throws Exception {
        String fn = "u" + next++;
        put(fn);
        return invoke(fn);
    }

    /** Baseline: an invocation that finds a ready instance. */
    @Benchmark
    public int secondInvoke(Invoked i) throws Exception {
        return invoke(i.name);
    }
}
