package dev.kiln.host.access;

import java.time.Duration;
import java.util.Objects;

/**
 * Limits of access control (docs/adr/0033-api-keys-and-roles.md).
 *
 * @param authFailuresPerIp invalid keys one client IP may present per {@code authFailureWindow}
 *     before its requests with keys are answered 429 {@code rate_limited}; the budget refills
 *     evenly over the window
 * @param authFailureWindow the window of {@code authFailuresPerIp}
 * @param maxKeys stored API keys at most
 * @param auditMaxEntries audit entries kept at most (the oldest go first)
 * @param auditMaxAge audit entries older than this are deleted
 */
public record AccessLimits(
        int authFailuresPerIp,
        Duration authFailureWindow,
        int maxKeys,
        int auditMaxEntries,
        Duration auditMaxAge) {
    public static final AccessLimits DEFAULTS =
            new AccessLimits(20, Duration.ofMinutes(1), 10_000, 100_000, Duration.ofDays(90));

    public AccessLimits {
        Objects.requireNonNull(authFailureWindow, "authFailureWindow");
        Objects.requireNonNull(auditMaxAge, "auditMaxAge");
        if (authFailuresPerIp < 1 || authFailureWindow.toMillis() < 1) {
            throw new IllegalArgumentException(
                    "authFailuresPerIp and authFailureWindow must be positive");
        }
        if (maxKeys < 1 || auditMaxEntries < 1 || auditMaxAge.toMillis() < 1) {
            throw new IllegalArgumentException(
                    "maxKeys, auditMaxEntries and auditMaxAge must be positive");
        }
    }
}
