package dev.kiln.host.http;

import dev.kiln.host.cluster.ClusterView;
import dev.kiln.host.cluster.NodeStatus;
import io.undertow.server.RoutingHandler;
import java.time.Instant;
import java.util.List;

/**
 * {@code GET /api/v1/cluster}: the nodes of the cluster with zone, state, capacity in use and last
 * heartbeat; the embedded single node lists itself (docs/adr/0048).
 */
final class ClusterApi {
    private final ClusterView cluster;

    ClusterApi(ClusterView cluster) {
        this.cluster = cluster;
    }

    RoutingHandler addTo(RoutingHandler routes) {
        return routes.get("/api/v1/cluster", ex -> Responses.json(ex, 200, view(cluster)));
    }

    record NodeView(
            String name,
            String zone,
            String state,
            boolean self,
            int inUse,
            int capacity,
            Instant lastHeartbeat,
            Instant startedAt) {
        static NodeView of(NodeStatus n) {
            return new NodeView(
                    n.name(),
                    n.zone(),
                    n.state(),
                    n.self(),
                    n.inUse(),
                    n.capacity(),
                    n.lastHeartbeat(),
                    n.startedAt());
        }
    }

    record ClusterBody(String mode, String node, boolean writable, List<NodeView> nodes) {}

    static ClusterBody view(ClusterView c) {
        return new ClusterBody(
                c.mode(),
                c.nodeName(),
                c.writable(),
                c.nodes().stream().map(NodeView::of).toList());
    }
}
