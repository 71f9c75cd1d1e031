package dev.kiln.perf.compute;

import java.util.List;

/**
 * The compute comparison: the same modules timed in node's V8, in Chicory's compiler mode with and
 * without Kiln's fuel metering, and as Kiln runs them once deployed.
 *
 * @param v8Note why V8 was not timed, or null
 */
public record ComputeReport(List<Workload> workloads, String v8Note) {
    /**
     * One workload's timings on each engine.
     *
     * @param v8 null when node is not available
     * @param chicory Chicory's compiler with its defaults, no fuel
     * @param chicoryFuel the same after {@code FuelInjector}: the cost of metering alone
     * @param kiln through Kiln's own compiler, sandbox and {@code kiln_handle}: what a deployed
     *     function pays
     * @param note a result mismatch, if any
     */
    public record Workload(
            String name,
            int n,
            Timing v8,
            Timing chicory,
            Timing chicoryFuel,
            Timing kiln,
            String note) {}

    /**
     * The timed runs of one workload on one engine.
     *
     * @param medianMs median of the timed runs
     * @param minMs fastest timed run
     * @param result what {@code run(n)} returned (decimal), to check every engine agrees
     */
    public record Timing(double medianMs, double minMs, int iterations, String result) {}
}
