package dev.kiln.perf.soak;

import dev.kiln.loadgen.IntervalSample;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns the load generator's interval samples and the host's own figures (its metrics, a forced GC
 * through {@code jcmd}, its data directory, its CPU time) into an {@link Interval}, judging every
 * answer and every recorded outcome against what its kind expects.
 */
final class IntervalCollector {
    private static final int MAX_PROBLEMS = 5;
    private static final Map<String, String> SERVICE = Map.of("service", KilnApi.SERVICE);

    private final SoakHost host;
    private final JvmProbe jvm;
    private PromText previous;
    private long previousCpuNanos;
    private long previousAt;

    IntervalCollector(SoakHost host, JvmProbe jvm) {
        this.host = host;
        this.jvm = jvm;
    }

    /** The figures before the load; every later interval counts from here. */
    Interval baseline(List<LoadKind> kinds) throws IOException, InterruptedException {
        previous = scrape();
        previousCpuNanos = host.server().cpuNanos();
        previousAt = System.nanoTime();
        List<Interval.KindFigures> none = new ArrayList<>();
        for (LoadKind k : kinds) {
            none.add(new Interval.KindFigures(k.name(), k.hostile(), 0, 0, 0, 0, 0, Map.of(), 0));
        }
        return figures(0, 0, none, List.of(), 0, 0, new Uploader.Tally(0, 0, null, 0), previous);
    }

    Interval collect(
            int index,
            double endSeconds,
            List<LoadKind> kinds,
            List<IntervalSample> samples,
            Uploader.Tally uploads)
            throws IOException, InterruptedException {
        PromText now = scrape();
        List<String> problems = new ArrayList<>();
        long unexpected = 0;
        List<Interval.KindFigures> figures = new ArrayList<>();
        for (int i = 0; i < kinds.size(); i++) {
            LoadKind k = kinds.get(i);
            IntervalSample s = samples.get(i);
            long all = s.statuses().values().stream().mapToLong(Long::longValue).sum();
            long answered = s.responsesWith(Set.of(k.status()));
            long wrongAnswers = all - answered + s.ioErrors();
            if (wrongAnswers > 0) {
                note(
                        problems,
                        k.name()
                                + ": statuses "
                                + s.statuses()
                                + ", "
                                + s.ioErrors()
                                + " connection errors (expected "
                                + k.status()
                                + ")");
            }
            Map<String, Double> outcomes =
                    now.increaseBy(
                            previous, "kiln_invocations_total", function(k.function()), "outcome");
            long wrongOutcomes = 0;
            for (Map.Entry<String, Double> o : outcomes.entrySet()) {
                if (!o.getKey().equals(k.outcome())) {
                    wrongOutcomes += Math.round(o.getValue());
                    note(
                            problems,
                            k.function()
                                    + ": "
                                    + Math.round(o.getValue())
                                    + " × "
                                    + o.getKey()
                                    + " (expected "
                                    + k.outcome()
                                    + ")");
                }
            }
            unexpected += wrongAnswers + wrongOutcomes;
            var p = s.percentiles();
            figures.add(
                    new Interval.KindFigures(
                            k.name(),
                            k.hostile(),
                            answered,
                            wrongAnswers,
                            p.p50() / 1e3,
                            p.p99() / 1e3,
                            p.max() / 1e3,
                            outcomes,
                            wrongOutcomes));
        }
        // The uploaded function, and the asynchronous events' fates.
        for (Map.Entry<String, Double> o :
                now.increaseBy(
                                previous,
                                "kiln_invocations_total",
                                function(Uploader.FUNCTION),
                                "outcome")
                        .entrySet()) {
            if (!o.getKey().equals("ok")) {
                unexpected += Math.round(o.getValue());
                note(
                        problems,
                        Uploader.FUNCTION + ": " + Math.round(o.getValue()) + " × " + o.getKey());
            }
        }
        for (Map.Entry<String, Double> r :
                now.increaseBy(previous, "kiln_event_results_total", function("sink"), "result")
                        .entrySet()) {
            if (!r.getKey().equals("succeeded") && !r.getKey().equals("throttled")) {
                unexpected += Math.round(r.getValue());
                note(problems, "sink events: " + Math.round(r.getValue()) + " × " + r.getKey());
            }
        }
        unexpected += uploads.failures();
        if (uploads.failures() > 0) {
            note(
                    problems,
                    uploads.failures() + " uploads failed, first: " + uploads.firstFailure());
        }
        double overloaded =
                now
                        .increaseBy(previous, "kiln_overloaded_total", SERVICE, "reason")
                        .values()
                        .stream()
                        .mapToDouble(Double::doubleValue)
                        .sum();
        Interval interval =
                figures(index, endSeconds, figures, problems, unexpected, overloaded, uploads, now);
        previous = now;
        return interval;
    }

    private Interval figures(
            int index,
            double endSeconds,
            List<Interval.KindFigures> kinds,
            List<String> problems,
            long unexpected,
            double overloaded,
            Uploader.Tally uploads,
            PromText metrics)
            throws IOException {
        JvmProbe.Figures f = jvm.read();
        long cpu = host.server().cpuNanos();
        long at = System.nanoTime();
        double cpuPercent =
                index == 0 || cpu < 0 ? 0 : 100.0 * (cpu - previousCpuNanos) / (at - previousAt);
        previousCpuNanos = cpu;
        previousAt = at;
        return new Interval(
                index,
                endSeconds,
                List.copyOf(kinds),
                List.copyOf(problems),
                unexpected,
                overloaded,
                uploads,
                metrics.sum("kiln_event_queue_depth", function("sink")),
                f.heapAfterGcBytes(),
                f.metaspaceBytes(),
                f.threads(),
                host.dataDirBytes(),
                cpuPercent,
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }

    /** Whether the sink's queue is empty: nothing waiting, retrying or running. */
    boolean asyncQueueEmpty() throws IOException, InterruptedException {
        PromText now = scrape();
        return now.sum("kiln_event_queue_depth", function("sink")) == 0
                && now.sum("kiln_event_queue_in_flight", function("sink")) == 0;
    }

    /** Events of the sink that succeeded since the host started. */
    double asyncSucceeded() throws IOException, InterruptedException {
        return scrape().sum(
                        "kiln_event_results_total",
                        Map.of(
                                "service",
                                KilnApi.SERVICE,
                                "function",
                                "sink",
                                "result",
                                "succeeded"));
    }

    private PromText scrape() throws IOException, InterruptedException {
        HttpResponse<String> r = host.api().get("/metrics");
        if (r.statusCode() != 200) {
            throw new IOException("GET /metrics answered " + r.statusCode() + ": " + r.body());
        }
        return PromText.parse(r.body());
    }

    private static Map<String, String> function(String name) {
        Map<String, String> m = new LinkedHashMap<>(SERVICE);
        m.put("function", name);
        return m;
    }

    private static void note(List<String> problems, String problem) {
        if (problems.size() < MAX_PROBLEMS) {
            problems.add(problem);
        }
    }
}
