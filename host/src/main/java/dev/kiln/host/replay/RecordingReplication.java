package dev.kiln.host.replay;

import java.util.List;
import java.util.Optional;

/**
 * Where the recordings this node wrote go besides its own {@code recordings.db}, and where a
 * recording it does not hold is looked for: in cluster mode, the cluster's bucket (docs/adr/0059).
 * Defined here and implemented by the cluster package, so that replay knows nothing of NATS.
 */
public interface RecordingReplication {
    /** No cluster: every recording stays on its node. */
    RecordingReplication NONE =
            new RecordingReplication() {
                @Override
                public void committed(List<Shared> recordings) {}

                @Override
                public Optional<byte[]> read(String service, String function, String requestId) {
                    return Optional.empty();
                }

                @Override
                public List<String> requestIds(String service, String function) {
                    return List.of();
                }

                @Override
                public void deleteFunction(String service, String function) {}
            };

    /**
     * One recording as it leaves the node: secret values sealed with the key every node shares
     * ({@link SharedRecording}).
     */
    record Shared(String service, String function, String requestId, byte[] bytes) {}

    /**
     * Recordings of one batch, just committed locally. Called on the recording writer thread: it
     * must hand them on and return at once, never block and never throw.
     */
    void committed(List<Shared> recordings);

    /** The bytes of a recording another node wrote; empty when there is none or NATS is away. */
    Optional<byte[]> read(String service, String function, String requestId);

    /** Request ids of the function's recordings other nodes wrote, newest first, best effort. */
    List<String> requestIds(String service, String function);

    /** Drops the function's recordings everywhere, best effort. */
    void deleteFunction(String service, String function);
}
