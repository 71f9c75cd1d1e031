package dev.kiln.host.access;

import java.time.Instant;

/**
 * One management write, whatever its outcome: who (key id and name; null when no valid key was
 * presented), what (method and route template), the target (the request path, never its query), the
 * outcome (status, error code or null), when, and from which client IP. Never a secret.
 */
public record AuditEntry(
        Instant time,
        String keyId,
        String keyName,
        String method,
        String route,
        String target,
        int status,
        String code,
        String clientIp,
        String requestId) {}
