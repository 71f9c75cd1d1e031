package dev.kiln.host.access;

import dev.kiln.host.storage.DocumentStore;
import java.nio.file.Path;

/**
 * Access control of one host: its keys, the per-IP limit on invalid keys, and the audit log. Entry
 * point of this package; the HTTP layer enforces it ({@code http.AccessControl}).
 */
public final class Access implements AutoCloseable {
    private final ApiKeys keys;
    private final AuthFailureLimiter failures;
    private final AuditLog audit;
    private final AccessLimits limits;

    private Access(ApiKeys keys, AuthFailureLimiter failures, AuditLog audit, AccessLimits limits) {
        this.keys = keys;
        this.failures = failures;
        this.audit = audit;
        this.limits = limits;
    }

    /**
     * Opens the key table in {@code <data>/kiln.db} and the audit log in {@code <data>/audit.db}.
     */
    public static Access open(Path dataDir, String adminToken, AccessLimits limits) {
        return open(dataDir, DocumentStore.Opener.sqlite(dataDir), adminToken, limits);
    }

    /**
     * Opens the key table from {@code documents} (a cluster's, docs/adr/0054) and the audit log,
     * which stays in {@code <data>/audit.db}.
     */
    public static Access open(
            Path dataDir, DocumentStore.Opener documents, String adminToken, AccessLimits limits) {
        return open(dataDir, documents, adminToken, limits, null);
    }

    /**
     * As above; the audit log is also published to and listed from {@code sharedAudit}, the
     * cluster's (docs/adr/0058), when not null.
     */
    public static Access open(
            Path dataDir,
            DocumentStore.Opener documents,
            String adminToken,
            AccessLimits limits,
            AuditLog.Shared sharedAudit) {
        ApiKeys keys =
                ApiKeys.open(documents.open("kiln.db", "api_keys"), adminToken, limits.maxKeys());
        try {
            return new Access(
                    keys,
                    new AuthFailureLimiter(limits),
                    AuditLog.open(dataDir, limits, sharedAudit),
                    limits);
        } catch (RuntimeException e) {
            keys.close();
            throw e;
        }
    }

    public ApiKeys keys() {
        return keys;
    }

    public AuthFailureLimiter failures() {
        return failures;
    }

    public AuditLog audit() {
        return audit;
    }

    public AccessLimits limits() {
        return limits;
    }

    @Override
    public void close() {
        audit.close();
        keys.close();
    }
}
