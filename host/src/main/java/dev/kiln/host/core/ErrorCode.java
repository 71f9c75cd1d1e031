package dev.kiln.host.core;

import java.util.Locale;

/**
 * Stable error codes of Kiln's HTTP surface. The wire form ({@link #wire()}) and the status are
 * part of the public contract: never rename one, only add.
 */
public enum ErrorCode {
    FUNCTION_NOT_FOUND(404),
    NOT_FOUND(404),
    INVALID_MODULE(400),
    PAYLOAD_TOO_LARGE(413),
    BAD_REQUEST(400),
    METHOD_NOT_ALLOWED(405),
    UNSUPPORTED_MEDIA_TYPE(415),
    UNAUTHORIZED(401),
    GUEST_TRAP(500),
    GUEST_ERROR(500),
    FUEL_EXHAUSTED(500),
    TIMEOUT(504),
    MEMORY_LIMIT(500),
    STACK_EXHAUSTED(500),
    OUTPUT_LIMIT(500),
    ABI_VIOLATION(500),
    OVERLOADED(429),
    INTERNAL(500),
    /** An upload's check (validation, compilation, kiln_init) outlived uploadTimeout (ADR 0029). */
    UPLOAD_TIMEOUT(400),
    /** The data directory's disk is full or below {@code --min-free-disk-mib} (ADR 0030). */
    INSUFFICIENT_STORAGE(507),
    /** A listing of a service that holds no function. */
    SERVICE_NOT_FOUND(404),
    /** A wasi-cgi directory grant no longer resolves inside an allowed root (ADR 0030). */
    DIRECTORY_GRANT_REFUSED(500),
    /**
     * The host's memory budget has no room for an upload (its compiled code, snapshot or checked
     * instance), even after evicting idle instances: 507, as the host cannot store it now
     * (docs/adr/ 0028-memory-budget-and-per-version-snapshots.md).
     */
    INSUFFICIENT_CAPACITY(507),
    /**
     * The host is out of a shared intake resource (buffered request bytes, connections); retry
     * later (docs/adr/0025-request-intake-limits.md).
     */
    SERVER_BUSY(503),
    /** The client stopped sending its request body (docs/adr/0025-request-intake-limits.md). */
    REQUEST_TIMEOUT(408),
    /** A valid key outside its role or services (docs/adr/0033). */
    FORBIDDEN(403),
    /** The request conflicts with the host's state, e.g. deleting the last admin key. */
    CONFLICT(409),
    /** A deploy would take a service past its quota (maxFunctions, maxMemoryMiB). */
    QUOTA_EXCEEDED(403),
    /**
     * Refused by a rate or concurrency quota (a service's maxInvocationsPerSecond or
     * maxConcurrency, or the HTTP trigger's per-client-IP rate) or by too many invalid keys from
     * one client IP; comes with {@code Retry-After}.
     */
    RATE_LIMITED(429),
    /** No custom-domain route with this id (docs/adr/0038). */
    ROUTE_NOT_FOUND(404),
    /**
     * A function version (a qualifier's number, or a version an alias names) that does not exist.
     */
    VERSION_NOT_FOUND(404),
    /** A qualifier names an alias the function does not have. */
    ALIAS_NOT_FOUND(404),
    /** No such key in the service's key-value store, or it expired (docs/adr/0039). */
    KV_KEY_NOT_FOUND(404),
    /** No recording of this invocation: not recorded, or dropped since (docs/adr/0041). */
    RECORDING_NOT_FOUND(404),
    /**
     * An {@code allowedOutboundHosts} entry that is not {@code scheme://host[:port]} as Kiln reads
     * it (docs/adr/0040).
     */
    INVALID_OUTBOUND_HOST(400),
    /**
     * Cluster mode cannot reach NATS JetStream: a write (upload, settings, alias, version delete)
     * is refused until the connection is back; invocations of cached functions go on (ADR 0048).
     */
    UNAVAILABLE(503);

    private final int httpStatus;
    private final String wire;

    ErrorCode(int httpStatus) {
        this.httpStatus = httpStatus;
        this.wire = name().toLowerCase(Locale.ROOT);
    }

    public int httpStatus() {
        return httpStatus;
    }

    /** The snake_case code clients see in {@code {"error":{"code":...}}}. */
    public String wire() {
        return wire;
    }
}
