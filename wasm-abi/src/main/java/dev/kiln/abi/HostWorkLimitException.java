package dev.kiln.abi;

/**
 * The guest's host calls asked the host to move more bytes in one invocation than {@link
 * EffectLimits#maxHostBytesPerInvocation} allows: the invocation ends with {@code output_limit}.
 */
public final class HostWorkLimitException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public HostWorkLimitException(long limit) {
        super(
                "the function's host calls moved more than " + limit + " bytes in one invocation",
                null,
                false,
                false);
    }
}
