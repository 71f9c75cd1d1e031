package dev.kiln.perf.peers;

import dev.kiln.loadgen.LoadResult;
import dev.kiln.perf.MachineStalls;
import dev.kiln.perf.compute.ComputeReport;
import java.util.List;

/**
 * Everything one {@code perf/run} measured: saved as JSON, rendered as markdown.
 *
 * @param startedAt ISO-8601 instant the run started
 */
public record PeerReport(
        String startedAt,
        Machine machine,
        RunSettings settings,
        List<TargetResult> targets,
        ComputeReport compute) {

    /**
     * Where the numbers came from.
     *
     * @param loadBefore the 1-minute load average when the run started (other work on the machine)
     * @param loadAfter the same when it ended
     * @param stallsBefore how often the machine stopped busy cores just before the run ({@link
     *     MachineStalls}): tail latencies mean little when it is not quiet
     * @param stallsAfter the same just after it
     */
    public record Machine(
            int cores,
            String cpu,
            String os,
            String java,
            String node,
            String workerd,
            double loadBefore,
            double loadAfter,
            MachineStalls stallsBefore,
            MachineStalls stallsAfter) {}

    /** Whether a target was measured. */
    public enum Status {
        MEASURED,
        SKIPPED,
        FAILED
    }

    /**
     * One target's numbers.
     *
     * @param note why it was skipped or failed, or warnings (errors seen under load)
     * @param maxThroughput responses per second at the best connection count, closed loop
     * @param connections the connection count that gave {@code maxThroughput}
     * @param serverCpuMicros the server process's CPU time (user + system) per request in that run;
     *     0 when unknown. Less sensitive to other work on the machine than throughput
     * @param atMax latency percentiles (µs) of that closed-loop run (queueing hidden: not
     *     comparable with the open-loop levels)
     * @param levels open-loop runs at fractions of the maximum
     */
    public record TargetResult(
            String id,
            String label,
            Status status,
            String note,
            double maxThroughput,
            int connections,
            double serverCpuMicros,
            LoadResult.Percentiles atMax,
            List<Level> levels) {
        static TargetResult notMeasured(String id, Status status, String note) {
            return new TargetResult(id, id, status, note, 0, 0, 0, null, List.of());
        }

        /** The level run at {@code fraction}, or null. */
        Level level(double fraction) {
            for (Level l : levels) {
                if (Math.abs(l.fraction() - fraction) < 1e-9) {
                    return l;
                }
            }
            return null;
        }
    }

    /**
     * An open-loop run.
     *
     * @param rate the requested rate (req/s)
     * @param achieved responses per second actually received in the window
     * @param latency percentiles in µs, from each request's intended send time
     * @param sendLagP99Micros how late the load generator itself sent (p99); large means the
     *     client, not the target, fell behind
     * @param errors non-2xx responses, connection errors and unanswered requests
     * @param hgrm the file holding the full percentile distribution
     */
    public record Level(
            double fraction,
            double rate,
            double achieved,
            LoadResult.Percentiles latency,
            double sendLagP99Micros,
            long errors,
            String hgrm) {}
}
