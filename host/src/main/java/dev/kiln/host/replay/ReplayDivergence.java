package dev.kiln.host.replay;

/**
 * Thrown out of a host call when a replay diverged: it ends the guest's run. The replay reads the
 * {@link Divergence} from its {@link Replayer}, whatever the runtime made of this exception.
 */
public final class ReplayDivergence extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ReplayDivergence(Divergence divergence) {
        super("replay diverged: " + divergence.code(), null, false, false);
    }
}
