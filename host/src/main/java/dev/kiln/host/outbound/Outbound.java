package dev.kiln.host.outbound;

import dev.kiln.abi.OutboundException;
import dev.kiln.abi.OutboundHttp;
import dev.kiln.abi.OutboundLimits;
import dev.kiln.abi.OutboundRequest;
import dev.kiln.abi.OutboundResponse;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLContext;

/**
 * Guests' outbound HTTP (docs/adr/0040), the entry point: one client and connection pool for the
 * whole host, and {@link #forInvocation} binding it to one invocation's allow list and deadline.
 */
public final class Outbound implements AutoCloseable {
    /** Idle keep-alive connections the host keeps at most, in all. */
    public static final int MAX_IDLE_CONNECTIONS = 64;

    /** Idle keep-alive connections the host keeps at most per host, port and address. */
    public static final int MAX_IDLE_PER_ADDRESS = 8;

    /** How long an idle connection is kept. */
    public static final long IDLE_TTL_MILLIS = 30_000;

    /** Parsed allow lists by the setting's list; a function's list is parsed once, not per call. */
    private static final int MAX_CACHED_LISTS = 4096;

    private final OutboundLimits limits;
    private final OutboundClient client;
    private final Map<List<String>, AllowedHosts> parsed = new ConcurrentHashMap<>();

    /**
     * Starts the host's outbound client with the system resolver.
     *
     * @param trustPem extra certificates to trust besides the JDK's, or null
     */
    public static Outbound start(OutboundLimits limits, Path trustPem)
            throws IOException, GeneralSecurityException {
        return new Outbound(limits, OutboundTrust.context(trustPem), Resolver.SYSTEM);
    }

    public Outbound(OutboundLimits limits, SSLContext tls, Resolver resolver) {
        this.limits = limits;
        this.client =
                new OutboundClient(
                        tls.getSocketFactory(),
                        resolver,
                        new ConnectionPool(
                                MAX_IDLE_CONNECTIONS,
                                MAX_IDLE_PER_ADDRESS,
                                IDLE_TTL_MILLIS * 1_000_000L));
    }

    public OutboundLimits limits() {
        return limits;
    }

    /**
     * Outbound HTTP for one invocation of a function.
     *
     * @param allowedOutboundHosts the function's setting (already checked when it was stored)
     * @param deadlineEpochMillis the invocation's deadline
     */
    public OutboundHttp forInvocation(List<String> allowedOutboundHosts, long deadlineEpochMillis) {
        AllowedHosts allowed =
                allowedOutboundHosts.isEmpty()
                        ? AllowedHosts.NONE
                        : allowList(allowedOutboundHosts);
        return new FunctionOutbound(client, allowed, limits, deadlineEpochMillis);
    }

    private AllowedHosts allowList(List<String> setting) {
        AllowedHosts a = parsed.get(setting);
        if (a == null) {
            if (parsed.size() >= MAX_CACHED_LISTS) {
                parsed.clear();
            }
            a = AllowedHosts.parse(setting);
            parsed.put(List.copyOf(setting), a);
        }
        return a;
    }

    /**
     * Sends one request from the host itself under {@code allowedOutboundHosts}, as a guest's
     * {@code http_send} would (for tools and benchmarks).
     *
     * @throws OutboundException as {@code http_send}'s error codes
     */
    public OutboundResponse send(
            List<String> allowedOutboundHosts, OutboundRequest request, long timeoutMillis) {
        return forInvocation(allowedOutboundHosts, System.currentTimeMillis() + timeoutMillis)
                .send(request);
    }

    /** Idle pooled connections now (for tests and metrics). */
    public int idleConnections() {
        return client.pool().idleCount();
    }

    @Override
    public void close() {
        client.close();
    }
}
