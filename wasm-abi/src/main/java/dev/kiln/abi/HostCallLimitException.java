package dev.kiln.abi;

/** The guest made more host calls than {@link EffectLimits#maxHostCalls} allows. */
public final class HostCallLimitException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public HostCallLimitException(long limit) {
        super("more than " + limit + " host calls in one invocation", null, false, false);
    }
}
