package dev.kiln.host.observability;

import java.util.List;

/**
 * Where the records this node ran go once they are stored in its own {@code records.db}, besides
 * it: in cluster mode, to the other nodes (docs/adr/0057). Defined here and implemented by the
 * cluster package, so that observability knows nothing of NATS.
 */
@FunctionalInterface
public interface RecordReplication {
    /**
     * This node's records of one batch, just committed. Called on the record writer thread: it must
     * hand them on and return at once, never block and never throw.
     */
    void committed(List<InvocationRecord> records);
}
