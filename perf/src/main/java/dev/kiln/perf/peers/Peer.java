package dev.kiln.perf.peers;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/** A server under comparison: starts on this machine and serves one or more {@link Target}s. */
sealed interface Peer permits UndertowPeer, WorkerdPeer, KilnPeer {
    /** Ids of the targets this peer serves when everything is available, in table order. */
    List<String> targetIds();

    /**
     * Starts the server and waits until it serves.
     *
     * @throws PeerUnavailableException when it cannot run here; its targets are skipped
     */
    Running start(PeerContext context)
            throws IOException, InterruptedException, PeerUnavailableException;

    /**
     * A started peer.
     *
     * @param unavailable targets that cannot run on this server, with the reason
     */
    record Running(List<Target> targets, Map<String, String> unavailable, ServerProcess server) {}
}
