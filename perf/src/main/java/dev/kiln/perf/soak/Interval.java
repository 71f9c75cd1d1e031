package dev.kiln.perf.soak;

import java.util.List;
import java.util.Map;

/**
 * The figures of one sampling interval of the mixed load.
 *
 * @param index 1 for the first interval; 0 for the baseline taken before the load
 * @param endSeconds when it ended, in seconds since the load started
 * @param kinds per kind of request, in the order of the mix
 * @param problems what went wrong outside the hostile guests' expected errors (at most a few)
 * @param unexpected how many requests, invocations, events or uploads went wrong so
 * @param overloaded invocations the host refused as overloaded ({@code kiln_overloaded_total})
 * @param uploads the uploads of the interval
 * @param asyncQueueDepth events in the sink's queue at the end of the interval
 * @param heapAfterGcBytes the host's heap in use right after a forced full GC
 * @param metaspaceBytes the host's metaspace in use
 * @param threads the host's live Java threads
 * @param dataDirBytes bytes in the host's data directory
 * @param serverCpuPercent the host process's CPU time over the interval, % of one core
 * @param loadAverage the machine's one-minute load average
 */
record Interval(
        int index,
        double endSeconds,
        List<KindFigures> kinds,
        List<String> problems,
        long unexpected,
        double overloaded,
        Uploader.Tally uploads,
        double asyncQueueDepth,
        long heapAfterGcBytes,
        long metaspaceBytes,
        long threads,
        long dataDirBytes,
        double serverCpuPercent,
        double loadAverage) {

    /**
     * One kind's figures in an interval.
     *
     * @param answered responses with the expected status
     * @param unexpectedAnswers responses with another status, plus failed connections
     * @param outcomes what the host recorded for the kind's function, by outcome (its counter's
     *     growth over the interval)
     * @param unexpectedOutcomes outcomes other than the kind's expected one
     */
    record KindFigures(
            String kind,
            boolean hostile,
            long answered,
            long unexpectedAnswers,
            double p50Ms,
            double p99Ms,
            double maxMs,
            Map<String, Double> outcomes,
            long unexpectedOutcomes) {}

    KindFigures kind(String name) {
        return kinds.stream().filter(k -> k.kind().equals(name)).findFirst().orElse(null);
    }

    /** Expected errors of the hostile guests in the interval. */
    long hostileRefused() {
        return kinds.stream().filter(KindFigures::hostile).mapToLong(KindFigures::answered).sum();
    }
}
