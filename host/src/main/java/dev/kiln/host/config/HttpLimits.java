package dev.kiln.host.config;

import java.time.Duration;
import java.util.Objects;

/**
 * What one client, or many, may hold of the HTTP server: connections, buffered request bytes and
 * time (docs/adr/0025-request-intake-limits.md).
 *
 * @param maxBufferedRequestBytes request body bytes all requests together may hold in memory while
 *     they are read and run; beyond it a request is refused with {@code server_busy}
 * @param maxConnections open client connections, host-wide; more are closed at accept
 * @param maxConnectionsPerIp open connections from one client address; more are closed at accept
 * @param requestParseTimeout longest the request line and headers may take to arrive
 * @param noRequestTimeout longest a connection may stay open with no request on it
 * @param bodyReadTimeout longest a request body may go without a byte arriving; then {@code
 *     request_timeout} (408) and the connection is closed
 * @param idleTimeout a connection with no byte read or written for this long is closed; must exceed
 *     the longest invocation (maxTimeout plus queueWait), which is silent while it runs
 */
public record HttpLimits(
        long maxBufferedRequestBytes,
        int maxConnections,
        int maxConnectionsPerIp,
        Duration requestParseTimeout,
        Duration noRequestTimeout,
        Duration bodyReadTimeout,
        Duration idleTimeout) {

    private static final long MIB = 1024 * 1024;

    /**
     * A quarter of the heap for request bytes, at least 64 MiB (so the default 32 MiB upload fits
     * twice) and at most 256 MiB; connection caps well under common file descriptor limits.
     */
    public static final HttpLimits DEFAULTS =
            new HttpLimits(
                    defaultBufferedRequestBytes(Runtime.getRuntime().maxMemory()),
                    10_000,
                    1_000,
                    Duration.ofSeconds(10),
                    Duration.ofSeconds(60),
                    Duration.ofSeconds(20),
                    Duration.ofMinutes(10));

    public HttpLimits {
        Objects.requireNonNull(requestParseTimeout, "requestParseTimeout");
        Objects.requireNonNull(noRequestTimeout, "noRequestTimeout");
        Objects.requireNonNull(bodyReadTimeout, "bodyReadTimeout");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        positive(maxBufferedRequestBytes, "maxBufferedRequestBytes");
        positive(maxConnections, "maxConnections");
        positive(maxConnectionsPerIp, "maxConnectionsPerIp");
        positive(requestParseTimeout.toMillis(), "requestParseTimeout");
        positive(noRequestTimeout.toMillis(), "noRequestTimeout");
        positive(bodyReadTimeout.toMillis(), "bodyReadTimeout");
        positive(idleTimeout.toMillis(), "idleTimeout");
        // Undertow takes these as int milliseconds.
        for (Duration d :
                new Duration[] {
                    requestParseTimeout, noRequestTimeout, bodyReadTimeout, idleTimeout
                }) {
            if (d.toMillis() > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("HTTP timeouts are at most 2^31-1 ms");
            }
        }
    }

    static long defaultBufferedRequestBytes(long maxHeap) {
        return Math.max(64 * MIB, Math.min(256 * MIB, maxHeap / 4));
    }

    public HttpLimits withMaxBufferedRequestBytes(long v) {
        return new HttpLimits(
                v,
                maxConnections,
                maxConnectionsPerIp,
                requestParseTimeout,
                noRequestTimeout,
                bodyReadTimeout,
                idleTimeout);
    }

    public HttpLimits withMaxConnections(int total, int perIp) {
        return new HttpLimits(
                maxBufferedRequestBytes,
                total,
                perIp,
                requestParseTimeout,
                noRequestTimeout,
                bodyReadTimeout,
                idleTimeout);
    }

    public HttpLimits withTimeouts(
            Duration requestParse, Duration noRequest, Duration bodyRead, Duration idle) {
        return new HttpLimits(
                maxBufferedRequestBytes,
                maxConnections,
                maxConnectionsPerIp,
                requestParse,
                noRequest,
                bodyRead,
                idle);
    }

    private static void positive(long value, String name) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
    }
}
