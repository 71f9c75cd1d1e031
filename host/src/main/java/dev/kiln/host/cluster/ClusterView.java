package dev.kiln.host.cluster;

import java.time.Instant;
import java.util.List;
import java.util.function.IntSupplier;

/**
 * What the HTTP layer asks about the cluster: the mode and the nodes. Imports nothing of NATS, so
 * the embedded node never loads the client (docs/adr/0048).
 */
public interface ClusterView {
    /** {@code single} (embedded) or {@code nats}. */
    String mode();

    /** This node's name. */
    String nodeName();

    /** Every node known, this one first, then by name. */
    List<NodeStatus> nodes();

    /** Whether writes can be stored now (always, on one node). */
    boolean writable();

    /**
     * Where invocations refused here for capacity go (docs/adr/0056), or {@code null} when there is
     * no other node to take them (the embedded node).
     */
    default Overflow overflow() {
        return null;
    }

    /** The embedded single node: it lists itself. */
    static ClusterView single(String name, IntSupplier inUse, int capacity) {
        Instant started = Instant.now();
        return new ClusterView() {
            @Override
            public String mode() {
                return "single";
            }

            @Override
            public String nodeName() {
                return name;
            }

            @Override
            public List<NodeStatus> nodes() {
                return List.of(
                        new NodeStatus(
                                name,
                                "default",
                                "serving",
                                inUse.getAsInt(),
                                capacity,
                                Instant.now(),
                                started,
                                true));
            }

            @Override
            public boolean writable() {
                return true;
            }
        };
    }
}
