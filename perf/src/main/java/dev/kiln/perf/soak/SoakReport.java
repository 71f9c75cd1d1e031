package dev.kiln.perf.soak;

import dev.kiln.loadgen.LatencyReport;
import dev.kiln.loadgen.LoadResult;
import java.util.List;
import java.util.Locale;

/** The soak's tables as markdown: a row per interval as it ends, then the verdict. */
final class SoakReport {
    /** Kinds shown with their latencies in the table; hostile ones are summed in one column. */
    static final List<String> LATENCY_KINDS = List.of("echo", "http", "async");

    private SoakReport() {}

    static String header() {
        StringBuilder b = new StringBuilder("| t (s) | answered/s |");
        for (String k : LATENCY_KINDS) {
            b.append(' ').append(k).append(" p50 / p99 (ms) |");
        }
        b.append(
                " hostile refused | unexpected | uploads (slowest) | async queue | heap after GC"
                        + " | metaspace | threads | data dir | host CPU | load |\n");
        b.append("| ---: | ---: |");
        b.append(" --- |".repeat(LATENCY_KINDS.size()));
        b.append(" ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        return b.toString();
    }

    static String row(Interval i, double seconds) {
        long answered = i.kinds().stream().mapToLong(Interval.KindFigures::answered).sum();
        StringBuilder b = new StringBuilder();
        b.append(
                i.index() == 0
                        ? "| before "
                        : String.format(Locale.ROOT, "| %.0f ", i.endSeconds()));
        b.append(String.format(Locale.ROOT, "| %.0f |", seconds > 0 ? answered / seconds : 0));
        for (String k : LATENCY_KINDS) {
            Interval.KindFigures f = i.kind(k);
            b.append(
                    f == null || f.answered() == 0
                            ? " – |"
                            : String.format(Locale.ROOT, " %.2f / %.2f |", f.p50Ms(), f.p99Ms()));
        }
        b.append(
                String.format(
                        Locale.ROOT,
                        " %d | %d | %d (%.0f ms) | %.0f | %.1f MiB | %.1f MiB | %d | %.1f MiB |"
                                + " %.0f %% | %.1f |\n",
                        i.hostileRefused(),
                        i.unexpected(),
                        i.uploads().uploads(),
                        i.uploads().slowestMs(),
                        i.asyncQueueDepth(),
                        SoakVerdict.mib(i.heapAfterGcBytes()),
                        SoakVerdict.mib(i.metaspaceBytes()),
                        i.threads(),
                        SoakVerdict.mib(i.dataDirBytes()),
                        i.serverCpuPercent(),
                        i.loadAverage()));
        return b.toString();
    }

    static String verdict(List<SoakVerdict.Check> checks) {
        StringBuilder b = new StringBuilder("| check | result | figures |\n| --- | --- | --- |\n");
        for (SoakVerdict.Check c : checks) {
            b.append("| ")
                    .append(c.name())
                    .append(" | ")
                    .append(c.passed() ? "pass" : "**FAIL**")
                    .append(" | ")
                    .append(c.detail().replace("|", "\\|"))
                    .append(" |\n");
        }
        return b.toString();
    }

    /**
     * Each kind over the whole load: rate, counts, the host's outcomes, and the client's own send
     * lag (a large one means the load generator, not the host, fell behind).
     */
    static String kinds(List<LoadKind> kinds, List<Interval> intervals, List<LoadResult> results) {
        StringBuilder b =
                new StringBuilder(
                        "| kind | function | rate (req/s) | connections | expected | answered as"
                                + " expected | unexpected answers | unexpected outcomes | p99"
                                + " over the run | client send lag p99 |\n"
                                + "| --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |"
                                + " ---: |\n");
        for (int n = 0; n < kinds.size(); n++) {
            LoadKind k = kinds.get(n);
            LoadResult r = results.get(n);
            long ok = 0;
            long badAnswers = 0;
            long badOutcomes = 0;
            for (Interval i : intervals) {
                Interval.KindFigures f = i.kind(k.name());
                ok += f.answered();
                badAnswers += f.unexpectedAnswers();
                badOutcomes += f.unexpectedOutcomes();
            }
            b.append(
                    String.format(
                            Locale.ROOT,
                            "| %s%s | %s | %.1f | %d | %d %s | %d | %d | %d | %s | %s |\n",
                            k.name(),
                            k.hostile() ? " (hostile)" : "",
                            k.function(),
                            k.rate(),
                            k.connections(),
                            k.status(),
                            k.outcome(),
                            ok,
                            badAnswers,
                            badOutcomes,
                            LatencyReport.duration(r.percentiles().p99()),
                            LatencyReport.duration(r.sendLag().getValueAtPercentile(99) / 1e3)));
        }
        return b.toString();
    }
}
