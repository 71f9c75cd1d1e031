package dev.kiln.loadgen;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@link LoadSpec}s against loopback HTTP/1.1 servers: keep-alive connections driven by
 * non-blocking event loops (no pipelining), latencies recorded in HdrHistograms.
 */
public final class LoadGenerator {
    private LoadGenerator() {}

    /** Told about a running load once a second. */
    @FunctionalInterface
    public interface Progress {
        /**
         * Called with the load's progress so far.
         *
         * @param elapsed time since the load started (warm-up included)
         * @param responses responses so far (warm-up included)
         */
        void update(Duration elapsed, long responses);

        Progress NONE = (elapsed, responses) -> {};
    }

    public static LoadResult run(LoadSpec spec) throws IOException, InterruptedException {
        return run(spec, Progress.NONE);
    }

    /**
     * Connects every connection, runs the warm-up and the measured window, waits at most {@code
     * spec.drain()} for requests still in flight, and reports.
     *
     * @throws IOException when the target cannot be connected to at all
     */
    public static LoadResult run(LoadSpec spec, Progress progress)
            throws IOException, InterruptedException {
        try (LoadRun run = start(List.of(spec))) {
            while (!run.awaitEnd(Duration.ofSeconds(1))) {
                progress.update(run.elapsed(), run.responsesSoFar());
            }
            return run.results().get(0);
        }
    }

    /**
     * Starts several loads together (a mixed load: each spec its own target, request, pacing and
     * connections) and returns at once; every spec's warm-up and window count from the same
     * instant. Close the returned run to stop it early.
     *
     * @throws IOException when a target cannot be connected to at all (nothing is left running)
     */
    public static LoadRun start(List<LoadSpec> specs) throws IOException {
        if (specs.isEmpty()) {
            throw new IllegalArgumentException("no loads to run");
        }
        List<List<EventLoop>> loops = new ArrayList<>();
        try {
            for (LoadSpec spec : specs) {
                List<EventLoop> forSpec = new ArrayList<>();
                loops.add(forSpec);
                byte[] request = spec.requestBytes();
                int next = 0;
                for (int t = 0; t < spec.threads(); t++) {
                    int share =
                            spec.connections() / spec.threads()
                                    + (t < spec.connections() % spec.threads() ? 1 : 0);
                    try {
                        forSpec.add(new EventLoop(spec, request, share, next));
                    } catch (IOException e) {
                        throw new IOException(
                                "cannot connect to " + spec.target() + ": " + e.getMessage(), e);
                    }
                    next += share;
                }
            }
        } catch (IOException e) {
            loops.forEach(forSpec -> forSpec.forEach(EventLoop::close));
            throw e;
        }
        // Every connection is open: start all loops together a moment from now.
        return new LoadRun(specs, loops, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(10));
    }
}
