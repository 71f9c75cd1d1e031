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
 * Loads running together, started by {@link LoadGenerator#start}: one or more {@link LoadSpec}s,
 * each on its own connections and event loops, timed from the same instant. While they run, {@link
 * #sample} takes what each recorded since the previous sample (a soak test's per-interval figures);
 * when they end, {@link #results} gives each one's {@link LoadResult}.
 */
public final class LoadRun implements AutoCloseable {
    private final List<LoadSpec> specs;
    private final List<List<EventLoop>> loops;
    private final List<EventLoop.Timeline> timelines;
    private final List<Thread> threads = new ArrayList<>();
    private final long start;

    LoadRun(List<LoadSpec> specs, List<List<EventLoop>> loops, long start) {
        this.specs = List.copyOf(specs);
        this.loops = loops;
        this.start = start;
        this.timelines = new ArrayList<>();
        for (int s = 0; s < specs.size(); s++) {
            EventLoop.Timeline timeline = timeline(specs.get(s), start);
            timelines.add(timeline);
            for (EventLoop l : loops.get(s)) {
                l.begin(timeline);
            }
        }
        int n = 0;
        for (List<EventLoop> forSpec : loops) {
            for (EventLoop l : forSpec) {
                Thread t = new Thread(l, "loadgen-" + n++);
                t.setDaemon(true);
                threads.add(t);
            }
        }
        threads.forEach(Thread::start);
    }

    private static EventLoop.Timeline timeline(LoadSpec spec, long start) {
        long measureFrom = start + spec.warmup().toNanos();
        long sendUntil = measureFrom + spec.duration().toNanos();
        return new EventLoop.Timeline(
                start, measureFrom, sendUntil, sendUntil + spec.drain().toNanos());
    }

    /** The loads, in the order they were given. */
    public List<LoadSpec> specs() {
        return specs;
    }

    /** Time since the loads started (warm-up included). */
    public Duration elapsed() {
        return Duration.ofNanos(Math.max(0, System.nanoTime() - start));
    }

    /** Responses so far over all loads, warm-up included. */
    public long responsesSoFar() {
        long n = 0;
        for (List<EventLoop> forSpec : loops) {
            for (EventLoop l : forSpec) {
                n += l.progress;
            }
        }
        return n;
    }

    /**
     * One sample per load, in the order of {@link #specs}: what it recorded since the previous call
     * (the first call: since the start). Safe to call while the loads run.
     */
    public List<IntervalSample> sample() {
        List<IntervalSample> samples = new ArrayList<>(specs.size());
        for (List<EventLoop> forSpec : loops) {
            Histogram latency = new Histogram(EventLoop.HIGHEST_LATENCY_NS, 3);
            SortedMap<Integer, Long> statuses = new TreeMap<>();
            long ioErrors = 0;
            for (EventLoop l : forSpec) {
                latency.add(l.intervalLatency.getIntervalHistogram());
                for (int s = 0; s < l.intervalStatuses.length(); s++) {
                    if (l.intervalStatuses.get(s) != 0) {
                        statuses.merge(s, l.intervalStatuses.getAndSet(s, 0), Long::sum);
                    }
                }
                ioErrors += l.intervalIoErrors.getAndSet(0);
            }
            samples.add(new IntervalSample(latency, statuses, ioErrors));
        }
        return samples;
    }

    /**
     * Waits until every load has ended (its window and drain are over, or {@link #close} stopped
     * it), at most {@code timeout}.
     *
     * @return whether they all ended
     */
    public boolean awaitEnd(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Thread t : threads) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return !t.isAlive() && threads.stream().noneMatch(Thread::isAlive);
            }
            TimeUnit.NANOSECONDS.timedJoin(t, left);
            if (t.isAlive()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Waits for the end, then one result per load, in the order of {@link #specs}.
     *
     * @throws IOException when a load's event loop failed
     */
    public List<LoadResult> results() throws IOException, InterruptedException {
        for (Thread t : threads) {
            t.join();
        }
        List<LoadResult> results = new ArrayList<>(specs.size());
        for (int s = 0; s < specs.size(); s++) {
            results.add(merge(specs.get(s), loops.get(s), timelines.get(s)));
        }
        return results;
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

    /**
     * Stops every load that is still running (requests in flight count as unfinished) and waits for
     * the event loops to close their connections.
     */
    @Override
    public void close() {
        for (List<EventLoop> forSpec : loops) {
            for (EventLoop l : forSpec) {
                l.stopped = true;
            }
        }
        try {
            for (Thread t : threads) {
                t.join();
            }
        } catch (InterruptedException e) {
            // The loops stop on their own within their longest wait (100 ms); keep the interrupt.
            Thread.currentThread().interrupt();
        }
    }
}
