package dev.kiln.perf.peers;

import dev.kiln.loadgen.LatencyReport;
import dev.kiln.loadgen.LoadResult;
import dev.kiln.perf.compute.ComputeReport;
import dev.kiln.perf.peers.PeerReport.Level;
import dev.kiln.perf.peers.PeerReport.Status;
import dev.kiln.perf.peers.PeerReport.TargetResult;
import java.util.List;
import java.util.Locale;

/** Renders a {@link PeerReport} as the markdown tables perf/README.md shows. */
final class MarkdownReport {
    /** The latency goal is stated at 70 % of the maximum throughput. */
    static final double GOAL_FRACTION = 0.7;

    private MarkdownReport() {}

    static String render(PeerReport report) {
        StringBuilder b = new StringBuilder();
        var m = report.machine();
        boolean quiet = m.stallsBefore().quiet() && m.stallsAfter().quiet();
        b.append(
                String.format(
                        Locale.ROOT,
                        "Run of %s%s on %d cores (%s), %s; Java %s; node %s; workerd %s."
                                + " Load average %.2f before, %.2f after.%n%n",
                        report.startedAt(),
                        report.settings().smoke() ? " (smoke: too short to mean anything)" : "",
                        m.cores(),
                        m.cpu(),
                        m.os(),
                        m.java(),
                        orNone(m.node()),
                        orNone(m.workerd()),
                        m.loadBefore(),
                        m.loadAfter()));
        b.append("Machine stalls (one thread per core spinning on the clock) before the run: ")
                .append(m.stallsBefore().describe())
                .append("; after: ")
                .append(m.stallsAfter().describe())
                .append(
                        quiet
                                ? ". Few stalls (a core that runs slower is not seen).\n\n"
                                : ". **Not quiet: read tail latencies as the machine's, and"
                                        + " compare ratios within this run only.**\n\n");
        throughputTable(b, report);
        ratioTable(b, report);
        computeTable(b, report.compute());
        return b.toString();
    }

    private static void throughputTable(StringBuilder b, PeerReport report) {
        List<Double> fractions = report.settings().fractions();
        b.append("Every target echoes a ")
                .append(report.settings().payload().length())
                .append("-byte POST body over keep-alive HTTP/1.1. Max: closed loop, best of ")
                .append(report.settings().connections())
                .append(
                        " connections. Server CPU: the server process's user + system time per"
                                + " request in that run. Latency: open loop at a fraction of that"
                                + " max, from each request's intended send time; p50 / p99 /"
                                + " p99.9.\n\n");
        b.append("| target | max req/s (connections) | server CPU per request");
        for (double f : fractions) {
            b.append(" | latency at ").append(percent(f));
        }
        b.append(" |\n| --- | ---: | ---:");
        b.append(" | ---".repeat(fractions.size())).append(" |\n");
        for (TargetResult t : report.targets()) {
            b.append("| ").append(t.id());
            if (t.status() != Status.MEASURED) {
                b.append(" | ").append(t.status().name().toLowerCase(Locale.ROOT)).append(": ");
                b.append(escape(t.note()));
                b.append(" |".repeat(fractions.size() + 1)).append(" |\n");
                continue;
            }
            b.append(
                    String.format(
                            Locale.ROOT,
                            " | %,.0f (%d) | %s",
                            t.maxThroughput(),
                            t.connections(),
                            t.serverCpuMicros() > 0
                                    ? String.format(Locale.ROOT, "%.1f µs", t.serverCpuMicros())
                                    : "–"));
            for (double f : fractions) {
                Level l = t.level(f);
                b.append(" | ").append(l == null ? "–" : triple(l.latency()));
                if (l != null && l.errors() > 0) {
                    b.append(" (").append(l.errors()).append(" errors)");
                }
            }
            b.append(" |\n");
        }
        b.append('\n');
        for (TargetResult t : report.targets()) {
            if (t.status() == Status.MEASURED) {
                b.append("- `").append(t.id()).append("`: ").append(t.label());
                if (t.note() != null) {
                    b.append(" — warning: ").append(escape(t.note()));
                }
                b.append('\n');
            }
        }
        b.append('\n');
    }

    private static void ratioTable(StringBuilder b, PeerReport report) {
        TargetResult undertow = find(report, UndertowPeer.WORKER);
        TargetResult undertowIo = find(report, UndertowPeer.IO);
        TargetResult workerd = find(report, WorkerdPeer.WASM);
        double goalFraction = closest(report.settings().fractions(), GOAL_FRACTION);
        String at = percent(goalFraction);
        b.append("Kiln as a fraction of its peers (goals in brackets, never asserted):\n\n");
        b.append(
                "| Kiln target | req/s ÷ Undertow worker [≥ 0.8] | req/s ÷ Undertow IO thread |"
                        + " req/s ÷ workerd wasm [≥ 1.5] | p99 at "
                        + at
                        + " ÷ Undertow worker's [≤ 1.5] | p99 at "
                        + at
                        + " ÷ workerd wasm's | CPU per request ÷ Undertow worker's |\n");
        b.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (String id : List.of(KilnPeer.INVOKE, KilnPeer.HTTP, KilnPeer.WASI_CGI)) {
            TargetResult k = find(report, id);
            if (k == null || k.status() != Status.MEASURED) {
                continue;
            }
            b.append("| ").append(id);
            b.append(" | ").append(ratio(k.maxThroughput(), throughput(undertow)));
            b.append(" | ").append(ratio(k.maxThroughput(), throughput(undertowIo)));
            b.append(" | ").append(ratio(k.maxThroughput(), throughput(workerd)));
            b.append(" | ").append(ratio(p99(k, goalFraction), p99(undertow, goalFraction)));
            b.append(" | ").append(ratio(p99(k, goalFraction), p99(workerd, goalFraction)));
            b.append(" | ")
                    .append(
                            ratio(
                                    k.serverCpuMicros(),
                                    undertow == null ? 0 : undertow.serverCpuMicros()));
            b.append(" |\n");
        }
        b.append('\n');
    }

    private static void computeTable(StringBuilder b, ComputeReport compute) {
        if (compute == null) {
            return;
        }
        b.append(
                "Compute: median time of one `run(n)` (ms), same module everywhere. Chicory:"
                        + " its compiler with default settings; fuel in a global: after Kiln's"
                        + " FuelInjector, as Chicory compiles it; Kiln (deployed): Kiln's"
                        + " compiler (fuel on the memory, docs/adr/0065), sandbox and"
                        + " kiln_handle, as a deployed function runs. Kiln ÷ Chicory is what"
                        + " fuel costs as Kiln runs it, with Kiln's memory and ABI on top.");
        if (compute.v8Note() != null) {
            b.append(" V8 not timed: ").append(compute.v8Note()).append('.');
        }
        b.append("\n\n");
        b.append(
                "| workload | V8 (node) | Chicory | Chicory, fuel in a global | Kiln (deployed) |"
                        + " Kiln ÷ V8 [≤ 1.5] | Chicory ÷ V8 | Kiln ÷ Chicory [≤ 1.10] |"
                        + " fuel in a global ÷ Chicory |\n");
        b.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (ComputeReport.Workload w : compute.workloads()) {
            double v8 = w.v8() == null ? 0 : w.v8().medianMs();
            b.append(
                    String.format(
                            Locale.ROOT,
                            "| %s(%d) | %s | %.3f | %.3f | %.3f | %s | %s | %s | %s |%n",
                            w.name(),
                            w.n(),
                            w.v8() == null ? "–" : String.format(Locale.ROOT, "%.3f", v8),
                            w.chicory().medianMs(),
                            w.chicoryFuel().medianMs(),
                            w.kiln().medianMs(),
                            ratio(w.kiln().medianMs(), v8),
                            ratio(w.chicory().medianMs(), v8),
                            ratio(w.kiln().medianMs(), w.chicory().medianMs()),
                            ratio(w.chicoryFuel().medianMs(), w.chicory().medianMs())));
            if (w.note() != null) {
                b.append("| ").append(escape(w.note())).append(" | | | | | | | | |\n");
            }
        }
        b.append('\n');
    }

    static TargetResult find(PeerReport report, String id) {
        for (TargetResult t : report.targets()) {
            if (t.id().equals(id)) {
                return t;
            }
        }
        return null;
    }

    private static double throughput(TargetResult t) {
        return t == null || t.status() != Status.MEASURED ? 0 : t.maxThroughput();
    }

    private static double p99(TargetResult t, double fraction) {
        if (t == null || t.status() != Status.MEASURED) {
            return 0;
        }
        Level l = t.level(fraction);
        return l == null ? 0 : l.latency().p99();
    }

    private static double closest(List<Double> fractions, double wanted) {
        double best = fractions.get(0);
        for (double f : fractions) {
            if (Math.abs(f - wanted) < Math.abs(best - wanted)) {
                best = f;
            }
        }
        return best;
    }

    private static String ratio(double a, double b) {
        return a > 0 && b > 0 ? String.format(Locale.ROOT, "%.2f", a / b) : "–";
    }

    private static String triple(LoadResult.Percentiles p) {
        return LatencyReport.duration(p.p50())
                + " / "
                + LatencyReport.duration(p.p99())
                + " / "
                + LatencyReport.duration(p.p999());
    }

    static String percent(double fraction) {
        return String.format(Locale.ROOT, "%.0f %%", fraction * 100);
    }

    private static String orNone(String s) {
        return s == null ? "not installed" : s;
    }

    private static String escape(String s) {
        return s == null ? "" : s.replace("|", "\\|").replace("\n", " ");
    }
}
