package dev.kiln.loadgen;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * Runs a {@link LoadSpec} against a loopback HTTP/1.1 server: keep-alive connections driven by
 * non-blocking event loops (no pipelining), latencies recorded in HdrHistograms.
 */
public final class LoadGenerator {
    private LoadGenerator() {}

    /** Told about a running load once a second. */
    @FunctionalInterface
    public interface Progress {
        /**
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
        byte[] request = spec.requestBytes();
        List<EventLoop> loops = new ArrayList<>();
        try {
            int next = 0;
            for (int t = 0; t < spec.threads(); t++) {
                int share =
                        spec.connections() / spec.threads()
                                + (t < spec.connections() % spec.threads() ? 1 : 0);
                loops.add(new EventLoop(spec, request, share, next));
                next += share;
            }
        } catch (IOException e) {
            loops.forEach(EventLoop::close);
            throw new IOException("cannot connect to " + spec.target() + ": " + e.getMessage(), e);
        }
        // Every connection is open: start all loops together a moment from now.
        EventLoop.Timeline timeline =
                timeline(spec, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(10));
        loops.forEach(l -> l.begin(timeline));
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < loops.size(); i++) {
            Thread t = new Thread(loops.get(i), "loadgen-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
        awaitWithProgress(threads, loops, timeline, progress);
        return merge(spec, loops, timeline);
    }

    private static EventLoop.Timeline timeline(LoadSpec spec, long start) {
        long measureFrom = start + spec.warmup().toNanos();
        long sendUntil = measureFrom + spec.duration().toNanos();
        return new EventLoop.Timeline(
                start, measureFrom, sendUntil, sendUntil + spec.drain().toNanos());
    }

    private static void awaitWithProgress(
            List<Thread> threads,
            List<EventLoop> loops,
            EventLoop.Timeline timeline,
            Progress progress)
            throws InterruptedException {
        try {
            for (Thread t : threads) {
                while (t.isAlive()) {
                    t.join(1000);
                    long responses = 0;
                    for (EventLoop l : loops) {
                        responses += l.progress;
                    }
                    long elapsed = Math.max(0, System.nanoTime() - timeline.start());
                    if (t.isAlive()) {
                        progress.update(Duration.ofNanos(elapsed), responses);
                    }
                }
            }
        } catch (InterruptedException e) {
            for (Thread t : threads) {
                t.interrupt();
            }
            throw e;
        }
    }

    private static LoadResult merge(
            LoadSpec spec, List<EventLoop> loops, EventLoop.Timeline timeline) throws IOException {
        Histogram latency = new Histogram(EventLoop.HIGHEST_LATENCY_NS, 3);
        Histogram sendLag = new Histogram(EventLoop.HIGHEST_LATENCY_NS, 3);
        SortedMap<Integer, Long> statuses = new TreeMap<>();
        long responses = 0;
        long ioErrors = 0;
        long unfinished = 0;
        for (EventLoop l : loops) {
            if (l.fatal != null) {
                throw new IOException("load loop failed: " + l.fatal.getMessage(), l.fatal);
            }
            latency.add(l.latency);
            sendLag.add(l.sendLag);
            for (int s = 0; s < l.statuses.length; s++) {
                if (l.statuses[s] > 0) {
                    statuses.merge(s, l.statuses[s], Long::sum);
                }
            }
            responses += l.responsesInWindow;
            ioErrors += l.ioErrors;
            unfinished += l.unfinished;
        }
        return new LoadResult(
                spec,
                responses,
                Duration.ofNanos(timeline.sendUntil() - timeline.measureFrom()),
                latency,
                sendLag,
                statuses,
                ioErrors,
                unfinished);
    }
}
