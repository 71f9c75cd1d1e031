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
 */
public record EffectLimits(
        int maxLogLines,
        int maxLogBytes,
        long maxHostCalls,
        int maxResponseHeaders,
        int maxHeaderBytes,
        int maxFailMessageBytes,
        int maxRandomBytes) {

    public static final EffectLimits DEFAULTS =
            new EffectLimits(1_000, 64 * 1024, 100_000, 100, 8 * 1024, 1024, 64 * 1024);
}
