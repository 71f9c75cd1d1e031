package dev.kiln.host.cluster;

import java.time.Instant;

/**
 * One node as {@code GET /api/v1/cluster} lists it.
 *
 * @param state {@code serving}; {@code unreachable} when its heartbeat is older than three
 *     intervals; {@code disconnected} for this node while it cannot reach NATS
 * @param inUse invocations running or waiting for a worker on the node
 * @param capacity the node's worker threads
 * @param lastHeartbeat when the node last said it was alive
 */
public record NodeStatus(
        String name,
        String zone,
        String state,
        int inUse,
        int capacity,
        Instant lastHeartbeat,
        Instant startedAt,
        boolean self) {}
