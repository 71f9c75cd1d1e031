package dev.kiln.perf.compute;

import java.util.List;

/**
 * The compute comparison: the same modules timed in node's V8 and in Chicory's compiler mode, with
 * and without Kiln's fuel metering.
 *
 * @param v8Note why V8 was not timed, or null
 */
public record ComputeReport(List<Workload> workloads, String v8Note) {
    /**
     * @param v8 null when node is not available
     * @param note a result mismatch, if any
     */
    public record Workload(
            String name, int n, Timing v8, Timing chicory, Timing chicoryFuel, String note) {}

    /**
     * @param medianMs median of the timed runs
     * @param minMs fastest timed run
     * @param result what {@code run(n)} returned (decimal), to check every engine agrees
     */
    public record Timing(double medianMs, double minMs, int iterations, String result) {}
}
