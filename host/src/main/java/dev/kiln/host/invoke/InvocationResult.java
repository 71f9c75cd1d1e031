package dev.kiln.host.invoke;

import dev.kiln.host.core.InvocationOutcome;
import dev.kiln.host.pool.StartKind;

/**
 * What a trigger gets back.
 *
 * @param version the function version that ran, 0 when none did
 * @param startKind how the instance was obtained, {@code null} when none was
 * @param node the cluster node that answered (docs/adr/0056), {@code null} on one node
 */
public record InvocationResult(
        String requestId,
        InvocationOutcome outcome,
        int version,
        long durationMicros,
        long fuel,
        StartKind startKind,
        String node) {

    /** A result of this node, outside a cluster. */
    public InvocationResult(
            String requestId,
            InvocationOutcome outcome,
            int version,
            long durationMicros,
            long fuel,
            StartKind startKind) {
        this(requestId, outcome, version, durationMicros, fuel, startKind, null);
    }

    /** This result as answered by {@code node}. */
    public InvocationResult answeredBy(String node) {
        return new InvocationResult(
                requestId, outcome, version, durationMicros, fuel, startKind, node);
    }

    /**
     * Whether the invocation was refused for want of capacity before any version was given a worker
     * (its function's concurrency limit, the worker queue): the refusals another node can take
     * over. A limit met while running (instances, memory budget) has a version and its record.
     */
    public boolean refusedForCapacity() {
        return outcome instanceof InvocationOutcome.Overloaded && version == 0;
    }
}
