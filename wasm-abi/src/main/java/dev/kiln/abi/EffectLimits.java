package dev.kiln.abi;

/**
 * Caps on what one invocation may do through host calls. Exceeding a log cap truncates with a
 * marker; exceeding the host-call cap ends the invocation.
 *
 * @param maxLogLines log lines kept per invocation
 * @param maxLogBytes log bytes kept per invocation (UTF-8)
 * @param maxHostCalls host calls allowed per invocation
 * @param maxResponseHeaders response header fields a guest may set
 * @param maxHeaderBytes bytes of one response header name plus value
 * @param maxFailMessageBytes bytes of a {@code kiln.fail} message kept
 * @param maxRandomBytes bytes one {@code kiln.random_fill} call may ask for
 * @param maxHostBytesPerCall bytes one host call may move between the host and guest memory (or
 *     generate); a WASI read or write on stdio past it is cut short, other calls asking for more
 *     fail with {@code EINVAL} (see {@link HostWork})
 * @param maxHostBytesPerInvocation bytes all host calls of one invocation may move together; past
 *     it the invocation ends with {@code output_limit}
 */
public record EffectLimits(
        int maxLogLines,
        int maxLogBytes,
        long maxHostCalls,
        int maxResponseHeaders,
        int maxHeaderBytes,
        int maxFailMessageBytes,
        int maxRandomBytes,
        int maxHostBytesPerCall,
        long maxHostBytesPerInvocation) {

    /** Default for {@link #maxHostBytesPerCall}: 16 MiB. */
    public static final int DEFAULT_MAX_HOST_BYTES_PER_CALL = 16 * 1024 * 1024;

    /** Default for {@link #maxHostBytesPerInvocation}: 256 MiB. */
    public static final long DEFAULT_MAX_HOST_BYTES_PER_INVOCATION = 256L * 1024 * 1024;

    public static final EffectLimits DEFAULTS =
            new EffectLimits(1_000, 64 * 1024, 100_000, 100, 8 * 1024, 1024, 64 * 1024);

    public EffectLimits {
        if (maxHostBytesPerCall <= 0 || maxHostBytesPerInvocation <= 0) {
            throw new IllegalArgumentException("host byte caps must be positive");
        }
    }

    /** The caps before host work was metered, with the default host byte caps. */
    public EffectLimits(
            int maxLogLines,
            int maxLogBytes,
            long maxHostCalls,
            int maxResponseHeaders,
            int maxHeaderBytes,
            int maxFailMessageBytes,
            int maxRandomBytes) {
        this(
                maxLogLines,
                maxLogBytes,
                maxHostCalls,
                maxResponseHeaders,
                maxHeaderBytes,
                maxFailMessageBytes,
                maxRandomBytes,
                DEFAULT_MAX_HOST_BYTES_PER_CALL,
                DEFAULT_MAX_HOST_BYTES_PER_INVOCATION);
    }

    /** These limits with other host byte caps. */
    public EffectLimits withHostBytes(int perCall, long perInvocation) {
        return new EffectLimits(
                maxLogLines,
                maxLogBytes,
                maxHostCalls,
                maxResponseHeaders,
                maxHeaderBytes,
                maxFailMessageBytes,
                maxRandomBytes,
                perCall,
                perInvocation);
    }
}
