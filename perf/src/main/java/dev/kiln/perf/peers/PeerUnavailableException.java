package dev.kiln.perf.peers;

/**
 * A peer cannot run on this machine (not installed, not supported yet); its targets are skipped.
 */
final class PeerUnavailableException extends Exception {
    private static final long serialVersionUID = 1L;

    PeerUnavailableException(String message) {
        super(message);
    }
}
