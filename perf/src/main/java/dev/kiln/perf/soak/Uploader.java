package dev.kiln.perf.soak;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Uploads a new version of the {@code upl} function every few seconds while the load runs: each
 * upload is new code (a distinct mark in a data segment, so a new content hash that is validated,
 * compiled and stored), and is invoked once after it is accepted to check the new version answers.
 */
final class Uploader implements AutoCloseable {
    static final String FUNCTION = "upl";
    private static final byte[] MARK = "gen-000000000000".getBytes(StandardCharsets.US_ASCII);

    /** Uploads in one interval: how many, how many failed (and the first failure), slowest. */
    record Tally(int uploads, int failures, String firstFailure, double slowestMs) {}

    private final KilnApi api;
    private final byte[] template;
    private final int markAt;
    private final ScheduledExecutorService timer =
            Executors.newSingleThreadScheduledExecutor(
                    r -> {
                        Thread t = new Thread(r, "soak-uploader");
                        t.setDaemon(true);
                        return t;
                    });
    private long generation;
    private int uploads;
    private int failures;
    private String firstFailure;
    private double slowestMs;

    Uploader(KilnApi api) {
        this.api = api;
        this.template = SoakHost.wasm("/soak/upload.wat");
        this.markAt = indexOf(template, MARK);
    }

    /** Uploads the first version now (before the load), failing loudly if it is refused. */
    void first() throws Exception {
        String problem = uploadOnce();
        if (problem != null) {
            throw new IllegalStateException("the first upload failed: " + problem);
        }
    }

    void startEvery(Duration period) {
        long ms = period.toMillis();
        // tick() records its own failures; the timer is shut down when the soak ends.
        var unusedTicks = timer.scheduleWithFixedDelay(this::tick, ms, ms, TimeUnit.MILLISECONDS);
    }

    private void tick() {
        long start = System.nanoTime();
        String problem;
        try {
            problem = uploadOnce();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (Exception e) {
            problem = e.toString();
        }
        double ms = (System.nanoTime() - start) / 1e6;
        synchronized (this) {
            uploads++;
            slowestMs = Math.max(slowestMs, ms);
            if (problem != null) {
                failures++;
                if (firstFailure == null) {
                    firstFailure = problem;
                }
            }
        }
    }

    /** One upload and one invocation of it; null when both went right, else what went wrong. */
    private String uploadOnce() throws Exception {
        long g;
        synchronized (this) {
            g = ++generation;
        }
        byte[] wasm = template.clone();
        byte[] mark = String.format("gen-%012d", g).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(mark, 0, wasm, markAt, mark.length);
        HttpResponse<String> put = api.put(FUNCTION, wasm);
        if (put.statusCode() != 200 && put.statusCode() != 201) {
            return "upload " + g + ": " + put.statusCode() + " " + put.body();
        }
        HttpResponse<String> call =
                api.post(
                        api.functionPath(FUNCTION, "/invoke"),
                        "x".getBytes(StandardCharsets.UTF_8));
        String expected = new String(mark, StandardCharsets.US_ASCII) + "x";
        if (call.statusCode() != 200 || !call.body().equals(expected)) {
            return "invoke after upload " + g + ": " + call.statusCode() + " " + call.body();
        }
        return null;
    }

    /** What happened since the previous call. */
    synchronized Tally take() {
        Tally t = new Tally(uploads, failures, firstFailure, slowestMs);
        uploads = 0;
        failures = 0;
        firstFailure = null;
        slowestMs = 0;
        return t;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new IllegalStateException("the upload module has no mark");
    }

    @Override
    public void close() {
        stop();
    }

    /** Stops uploading; an upload under way finishes first (at most a minute). */
    void stop() {
        timer.shutdown();
        try {
            if (!timer.awaitTermination(1, TimeUnit.MINUTES)) {
                timer.shutdownNow();
            }
        } catch (InterruptedException e) {
            timer.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
