package dev.kiln.host.deploy;

import static dev.kiln.host.testing.TestHost.errorCode;
import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.testing.SlowModules;
import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Uploads are checked off the HTTP threads, a bounded number at a time, under a deadline (ADR
 * 0029): a module that is slow to compile is refused with {@code upload_timeout}, its abandoned
 * compilation keeps its slot until it ends, and invocations never wait for it.
 */
class UploadExecutionTest {
    /**
     * About 0.7 s to validate and 1.5 s to compile on a quiet machine: far past the deadlines
     * below.
     */
    private static final byte[] SLOW = SlowModules.manyFunctions(2000, 100);

    private static final Duration HANG = Duration.ofMinutes(2);

    private final HttpClient client = HttpClient.newHttpClient();

    @Test
    void aSlowCompileIsRefusedInTimeAndInvocationsDoNotWaitForIt(@TempDir Path data)
            throws Exception {
        try (TestHost kiln =
                TestHost.start(
                        data,
                        b -> b.uploadLimits(new UploadLimits(1, 0, Duration.ofMillis(300))))) {
            assertThat(kiln.deploy("demo", "echo", Wat.fixture("echo")).statusCode())
                    .isEqualTo(201);
            assertThat(kiln.invoke("demo", "echo", "warm").statusCode()).isEqualTo(200);
            double compiledBefore = metric(kiln, "kiln_compiled_modules");
            List<String> filesBefore = files(data);

            var slow = kiln.deploy("demo", "slow", SLOW);
            assertThat(slow.statusCode()).as(text(slow)).isEqualTo(400);
            assertThat(errorCode(slow)).isEqualTo("upload_timeout");
            assertThat(text(slow)).contains("uploadTimeout of 300 ms");

            // The client has its answer; the compilation runs on, holding the only slot.
            assertThat(metric(kiln, "kiln_uploads_abandoned")).isEqualTo(1);
            for (int i = 0; i < 20; i++) {
                var r = kiln.invoke("demo", "echo", "during " + i);
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(text(r)).isEqualTo("during " + i);
            }
            var refused = kiln.deploy("demo", "other", Wat.fixture("echo"));
            // Still compiling after all of that: the invocations did not wait for it.
            assertThat(metric(kiln, "kiln_uploads_abandoned")).isEqualTo(1);
            assertThat(refused.statusCode()).isEqualTo(429);
            assertThat(errorCode(refused)).isEqualTo("overloaded");
            assertThat(refused.headers().firstValue("Retry-After")).isPresent();
            assertThat(metric(kiln, "kiln_uploads_running"))
                    .isEqualTo(1); // abandoned work never exceeds the limit

            TestHost.await(
                    "the abandoned compilation to end",
                    HANG,
                    () -> metric(kiln, "kiln_uploads_running") == 0);
            assertThat(metric(kiln, "kiln_uploads_abandoned")).isZero();
            assertThat(kiln.get("/api/v1/services/demo/functions/slow").statusCode())
                    .isEqualTo(404);
            assertThat(metric(kiln, "kiln_compiled_modules")).isEqualTo(compiledBefore);
            assertThat(files(data)).isEqualTo(filesBefore);
            assertThat(metric(kiln, "kiln_uploads_refused_total{reason=\"timeout\"}")).isEqualTo(1);

            // The slot is free again.
            assertThat(kiln.deploy("demo", "other", Wat.fixture("echo")).statusCode())
                    .isEqualTo(201);
            assertThat(text(kiln.invoke("demo", "other", "after"))).isEqualTo("after");
        }
    }

    @Test
    void uploadsBeyondTheSlotsAndTheQueueAreOverloaded(@TempDir Path data) throws Exception {
        try (TestHost kiln =
                TestHost.start(
                        data, b -> b.uploadLimits(new UploadLimits(1, 1, Duration.ofMinutes(2))))) {
            CompletableFuture<HttpResponse<byte[]>> running = deployAsync(kiln, "slow", SLOW);
            TestHost.await(
                    "the slow upload to start",
                    HANG,
                    () -> metric(kiln, "kiln_uploads_running") == 1);
            CompletableFuture<HttpResponse<byte[]>> queued =
                    deployAsync(kiln, "queued", Wat.fixture("echo"));
            TestHost.await(
                    "the second upload to queue",
                    HANG,
                    () -> metric(kiln, "kiln_uploads_queued") == 1);

            var third = kiln.deploy("demo", "third", Wat.fixture("echo"));
            assertThat(third.statusCode()).isEqualTo(429);
            assertThat(errorCode(third)).isEqualTo("overloaded");
            assertThat(text(third)).contains("maxConcurrentUploads");
            assertThat(third.headers().firstValue("Retry-After")).isPresent();
            assertThat(metric(kiln, "kiln_uploads_running")).isEqualTo(1);

            assertThat(running.get().statusCode()).as(text(running.get())).isEqualTo(201);
            assertThat(queued.get().statusCode()).as(text(queued.get())).isEqualTo(201);
            assertThat(text(kiln.invoke("demo", "queued", "ok"))).isEqualTo("ok");
            assertThat(kiln.get("/api/v1/services/demo/functions/third").statusCode())
                    .isEqualTo(404);
        }
    }

    @Test
    void anUploadThatWaitsLongerThanTheTimeoutForASlotIsOverloaded(@TempDir Path data)
            throws Exception {
        try (TestHost kiln =
                TestHost.start(
                        data,
                        b -> b.uploadLimits(new UploadLimits(1, 4, Duration.ofMillis(300))))) {
            var slow = deployAsync(kiln, "slow", SLOW);
            TestHost.await(
                    "the slow upload to start",
                    HANG,
                    () -> metric(kiln, "kiln_uploads_running") == 1);
            var waiting = kiln.deploy("demo", "waiting", Wat.fixture("echo"));
            assertThat(errorCode(slow.get())).isEqualTo("upload_timeout");
            // It waited behind the abandoned compilation, which was still running.
            assertThat(waiting.statusCode()).isEqualTo(429);
            assertThat(errorCode(waiting)).isEqualTo("overloaded");
            assertThat(text(waiting)).contains("waited longer than");
            assertThat(metric(kiln, "kiln_uploads_queued")).isZero();
            TestHost.await(
                    "the abandoned compilation to end",
                    HANG,
                    () -> metric(kiln, "kiln_uploads_running") == 0);
            assertThat(kiln.deploy("demo", "waiting", Wat.fixture("echo")).statusCode())
                    .isEqualTo(201);
        }
    }

    @Test
    void theLimitsArePublished(@TempDir Path data) {
        try (TestHost kiln =
                TestHost.start(
                        data, b -> b.uploadLimits(new UploadLimits(3, 5, Duration.ofSeconds(7))))) {
            var limits = TestHost.json(kiln.get("/api/v1/limits")).path("uploads");
            assertThat(limits.path("maxConcurrentUploads").asInt()).isEqualTo(3);
            assertThat(limits.path("uploadQueue").asInt()).isEqualTo(5);
            assertThat(limits.path("uploadTimeoutMs").asLong()).isEqualTo(7000);
        }
    }

    private CompletableFuture<HttpResponse<byte[]>> deployAsync(
            TestHost kiln, String function, byte[] wasm) {
        return client.sendAsync(
                kiln.admin("/api/v1/services/demo/functions/" + function)
                        .timeout(HANG)
                        .header("Content-Type", "application/wasm")
                        .PUT(HttpRequest.BodyPublishers.ofByteArray(wasm))
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    /** One sample from {@code GET /metrics}: {@code series} is the name with its labels. */
    static double metric(TestHost kiln, String series) {
        for (String line : text(kiln.get("/metrics")).lines().toList()) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        return 0;
    }

    /** Every file under the data directory's compiled-code cache and module store. */
    static List<String> files(Path data) {
        try (Stream<Path> compiled = walk(data.resolve("compiled"));
                Stream<Path> modules = walk(data.resolve("modules"))) {
            return Stream.concat(compiled, modules)
                    .filter(Files::isRegularFile)
                    .map(p -> data.relativize(p).toString())
                    .sorted()
                    .toList();
        }
    }

    // The caller closes the stream (try-with-resources).
    @SuppressWarnings("StreamResourceLeak")
    private static Stream<Path> walk(Path dir) {
        try {
            return Files.exists(dir) ? Files.walk(dir) : Stream.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
