package dev.kiln.host.http;

import dev.kiln.host.access.Access;
import dev.kiln.host.cluster.ClusterView;
import dev.kiln.host.config.HttpLimits;
import dev.kiln.host.config.KilnConfig;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.deploy.DeployExecutor;
import dev.kiln.host.deploy.Deployer;
import dev.kiln.host.deploy.Releases;
import dev.kiln.host.events.Events;
import dev.kiln.host.invoke.Invoker;
import dev.kiln.host.invoke.Replays;
import dev.kiln.host.kv.KvStore;
import dev.kiln.host.observability.InvocationStore;
import dev.kiln.host.observability.Metrics;
import dev.kiln.host.quota.QuotaStore;
import dev.kiln.host.quota.ServiceAdmission;
import dev.kiln.host.registry.Registry;
import dev.kiln.host.routes.RequestHost;
import dev.kiln.host.routes.RouteMatch;
import dev.kiln.host.routes.RouteStore;
import dev.kiln.host.routes.RouteTable;
import dev.kiln.host.secrets.Secrets;
import dev.kiln.host.storage.DiskSpace;
import dev.kiln.host.tls.PemKeys;
import dev.kiln.host.tls.TlsContexts;
import dev.kiln.host.triggers.Triggers;
import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.protocols.ssl.UndertowXnioSsl;
import io.undertow.server.DefaultByteBufferPool;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.protocol.http.AlpnOpenListener;
import io.undertow.server.protocol.http.HttpOpenListener;
import io.undertow.server.protocol.http2.Http2OpenListener;
import io.undertow.util.Headers;
import io.undertow.util.Protocols;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import javax.net.ssl.SSLContext;
import org.xnio.ChannelListeners;
import org.xnio.IoUtils;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.StreamConnection;
import org.xnio.Xnio;
import org.xnio.XnioWorker;
import org.xnio.channels.AcceptingChannel;
import org.xnio.ssl.SslConnection;

/**
 * Kiln's HTTP surface on Undertow: health, management API, invoke, and the HTTP trigger. The
 * listener is assembled here from XNIO and Undertow's {@link HttpOpenListener} (what {@code
 * Undertow.builder()} does inside) so that {@link ConnectionLimiter} can sit in front of it.
 */
public final class KilnServer implements AutoCloseable {
    private static final int BUFFER_SIZE = 16 * 1024;

    private final XnioWorker worker;
    private final AcceptingChannel<? extends StreamConnection> server;
    private final AcceptingChannel<StreamConnection> redirectServer;
    private final DefaultByteBufferPool buffers;
    private final RequestBytesBudget requestBytes;
    private final List<String> routes;
    private final TlsReloader tlsReloader;

    private KilnServer(
            XnioWorker worker,
            AcceptingChannel<? extends StreamConnection> server,
            AcceptingChannel<StreamConnection> redirectServer,
            DefaultByteBufferPool buffers,
            RequestBytesBudget requestBytes,
            List<String> routes,
            TlsReloader tlsReloader) {
        this.worker = worker;
        this.server = server;
        this.redirectServer = redirectServer;
        this.buffers = buffers;
        this.requestBytes = requestBytes;
        this.routes = routes;
        this.tlsReloader = tlsReloader;
    }

    /** The host's stores and limiters of tenants: secrets and service quotas (ADR 0034). */
    public record Tenancy(Secrets secrets, QuotaStore quotas, ServiceAdmission admission) {}

    public static KilnServer start(
            KilnConfig config,
            Access access,
            Registry registry,
            Deployer deployer,
            DeployExecutor uploads,
            Invoker invoker,
            InvocationStore records,
            Events events,
            Triggers triggers,
            Metrics metrics,
            DiskSpace space,
            Tenancy tenancy,
            RouteStore customRoutes,
            KvStore kv,
            Replays replays,
            ClusterView cluster) {
        HttpLimits limits = config.httpLimits();
        // Loads openapi.json now: a broken resource stops the start, not a later request.
        ApiDescription.operations();
        BeforeBody beforeBody = BeforeBody.functionExists(registry);
        var invoke =
                new InvokeHandler(
                        invoker, cluster.overflow(), events, beforeBody, config.maxPayloadBytes());
        var eventsApi = new EventsApi(events, triggers);
        var router =
                new KeysApi(access)
                        .addTo(
                                new QuotaApi(tenancy.quotas(), tenancy.admission(), registry)
                                        .addTo(
                                                eventsApi.addTo(
                                                        new ReleasesApi(
                                                                        registry,
                                                                        new Releases(
                                                                                registry, deployer))
                                                                .addTo(
                                                                        new ManagementApi(
                                                                                        registry,
                                                                                        deployer,
                                                                                        uploads,
                                                                                        records,
                                                                                        config,
                                                                                        tenancy
                                                                                                .secrets())
                                                                                .afterDelete(
                                                                                        (s, f) -> {
                                                                                            eventsApi
                                                                                                    .functionDeleted(
                                                                                                            s,
                                                                                                            f);
                                                                                            replays
                                                                                                    .functionDeleted(
                                                                                                            s,
                                                                                                            f);
                                                                                        })
                                                                                .routes(invoke)))))
                        .get("/metrics", new MetricsHandler(metrics));
        new RoutesApi(customRoutes).addTo(router);
        new KvApi(kv).addTo(router);
        new ReplayApi(replays).addTo(router);
        new MeteringApi(records, registry).addTo(router);
        new ClusterApi(cluster).addTo(router);
        List<String> routes = ((GuardedRoutes) router).routes();
        var api = new AccessControl(access, router);
        var invokeRoute = new InvokeRoute(access, invoke);
        var trigger =
                new HttpTriggerHandler(
                        invoker,
                        cluster.overflow(),
                        registry,
                        beforeBody.andThen(AccessControl.httpAuth(registry, access)),
                        config.maxPayloadBytes(),
                        config.triggerRatePerIp(),
                        metrics);
        var health = new Health(space);
        var console = new ConsoleFiles();
        var intake =
                new Bodies.Intake(
                        new RequestBytesBudget(limits.maxBufferedRequestBytes()),
                        limits.bodyReadTimeout().toMillis(),
                        new LongAdder());
        HttpHandler root =
                new ErrorBoundary(
                        exchange -> {
                            Bodies.attachIntake(exchange, intake);
                            keepAliveForHttp10(exchange);
                            TransferEncodingCheck.check(exchange);
                            RouteMatch routed = routed(customRoutes.table(), exchange);
                            String path = exchange.getRequestPath();
                            if (routed != null) {
                                trigger.handleRouted(exchange, routed);
                            } else if (path.startsWith(HttpTriggerHandler.PREFIX)) {
                                trigger.handleRequest(exchange);
                            } else if (path.equals("/healthz")) {
                                health.handleRequest(exchange);
                            } else if (path.equals(ApiDescription.PATH)) {
                                // Public, like /healthz: it describes the API (ADR 0042).
                                ApiDescription.serve(exchange);
                            } else if (invokeRoute.handled(exchange)) {
                                // Taken ahead of the router: the API's busiest route.
                            } else if (path.startsWith("/api/") || path.equals("/metrics")) {
                                api.handleRequest(exchange);
                            } else if (ConsoleFiles.handles(path)) {
                                // Static files, no key: the console reads data from /api/v1.
                                console.handleRequest(exchange);
                            } else {
                                throw new KilnException(ErrorCode.NOT_FOUND, "no such path");
                            }
                        });
        OptionMap serverOptions =
                OptionMap.builder()
                        // Bodies enforces each endpoint's cap with a 413; this backstop only has
                        // to stay above every one of them.
                        .set(
                                UndertowOptions.MAX_ENTITY_SIZE,
                                Math.max(config.maxUploadBytes(), config.maxPayloadBytes())
                                        + Bodies.ENTITY_SLACK)
                        .set(UndertowOptions.ALLOW_UNESCAPED_CHARACTERS_IN_URL, false)
                        .set(UndertowOptions.BUFFER_PIPELINED_DATA, true)
                        .set(
                                UndertowOptions.REQUEST_PARSE_TIMEOUT,
                                millis(limits.requestParseTimeout()))
                        .set(UndertowOptions.NO_REQUEST_TIMEOUT, millis(limits.noRequestTimeout()))
                        .set(UndertowOptions.IDLE_TIMEOUT, millis(limits.idleTimeout()))
                        // HTTP/1.1 connections persist without saying so (RFC 9112 9.3); the
                        // header was an echo response's ninth, which made Undertow grow the
                        // response's header table on every request. HTTP/1.0: keepAliveForHttp10.
                        .set(UndertowOptions.ALWAYS_SET_KEEP_ALIVE, false)
                        .getMap();
        int ioThreads = Math.max(Runtime.getRuntime().availableProcessors(), 2);
        XnioWorker worker = null;
        DefaultByteBufferPool buffers = null;
        AcceptingChannel<? extends StreamConnection> server = null;
        try {
            Xnio xnio = Xnio.getInstance(Undertow.class.getClassLoader());
            worker =
                    xnio.createWorker(
                            OptionMap.builder()
                                    .set(Options.WORKER_IO_THREADS, ioThreads)
                                    // Kiln's own caps (ConnectionLimiter) refuse first.
                                    .set(Options.CONNECTION_HIGH_WATER, 1_000_000)
                                    .set(Options.CONNECTION_LOW_WATER, 1_000_000)
                                    .set(Options.WORKER_TASK_CORE_THREADS, ioThreads * 8)
                                    .set(Options.WORKER_TASK_MAX_THREADS, ioThreads * 8)
                                    .set(Options.TCP_NODELAY, true)
                                    .set(Options.CORK, true)
                                    .getMap());
            buffers = new DefaultByteBufferPool(true, BUFFER_SIZE, -1, 4);
            var open = new HttpOpenListener(buffers, serverOptions);
            open.setRootHandler(root);
            OptionMap socketOptions =
                    OptionMap.builder()
                            .set(Options.WORKER_IO_THREADS, ioThreads)
                            .set(Options.TCP_NODELAY, true)
                            .set(Options.REUSE_ADDRESSES, true)
                            .set(Options.BALANCING_TOKENS, 1)
                            .set(Options.BALANCING_CONNECTIONS, 2)
                            .set(Options.BACKLOG, 1000)
                            .getMap();
            InetSocketAddress address =
                    new InetSocketAddress(InetAddress.getByName(config.host()), config.port());
            UndertowXnioSsl ssl = null;
            AcceptingChannel<StreamConnection> redirectServer = null;
            if (config.tls() == null) {
                var limiter =
                        new ConnectionLimiter(
                                open, limits.maxConnections(), limits.maxConnectionsPerIp());
                registerMetrics(metrics, intake, limiter);
                AcceptingChannel<StreamConnection> plain =
                        worker.createStreamConnectionServer(
                                address,
                                ChannelListeners.openListenerAdapter(limiter),
                                socketOptions);
                server = plain;
            } else {
                // HTTPS with HTTP/2 offered by ALPN (what Undertow.builder() assembles for an
                // HTTPS listener with ENABLE_HTTP2), behind the same connection caps.
                OptionMap h2Options =
                        OptionMap.builder()
                                .addAll(serverOptions)
                                .set(UndertowOptions.ENABLE_HTTP2, true)
                                .getMap();
                var http2 = new Http2OpenListener(buffers, h2Options);
                http2.setRootHandler(root);
                var alpn = new AlpnOpenListener(buffers, h2Options, open);
                alpn.addProtocol(Http2OpenListener.HTTP2, http2, 10);
                var limiter =
                        new ConnectionLimiter(
                                alpn, limits.maxConnections(), limits.maxConnectionsPerIp());
                registerMetrics(metrics, intake, limiter);
                ssl =
                        new UndertowXnioSsl(
                                xnio,
                                OptionMap.create(Options.USE_DIRECT_BUFFERS, true),
                                tlsContext(config));
                AcceptingChannel<SslConnection> secure =
                        ssl.createSslConnectionServer(
                                worker,
                                address,
                                ChannelListeners.openListenerAdapter(limiter),
                                socketOptions);
                server = secure;
                if (config.tls().redirectPort() >= 0) {
                    HttpsRedirect redirect = new HttpsRedirect(config.host());
                    redirect.httpsPort(secure.getLocalAddress(InetSocketAddress.class).getPort());
                    var redirectOpen = new HttpOpenListener(buffers, serverOptions);
                    redirectOpen.setRootHandler(new ErrorBoundary(redirect));
                    redirectServer =
                            worker.createStreamConnectionServer(
                                    new InetSocketAddress(
                                            InetAddress.getByName(config.host()),
                                            config.tls().redirectPort()),
                                    ChannelListeners.openListenerAdapter(
                                            new ConnectionLimiter(
                                                    redirectOpen,
                                                    limits.maxConnections(),
                                                    limits.maxConnectionsPerIp())),
                                    socketOptions);
                    redirectServer.resumeAccepts();
                }
            }
            server.resumeAccepts();
            TlsReloader reloader = ssl == null ? null : new TlsReloader(config.tls(), ssl);
            return new KilnServer(
                    worker, server, redirectServer, buffers, intake.budget(), routes, reloader);
        } catch (IOException | RuntimeException e) {
            IoUtils.safeClose(server);
            if (worker != null) {
                worker.shutdownNow();
            }
            if (buffers != null) {
                buffers.close();
            }
            throw e instanceof RuntimeException r
                    ? r
                    : new UncheckedIOException(
                            "the HTTP listener could not start", (IOException) e);
        }
    }

    /**
     * The custom-domain route that takes this request, or null (docs/adr/0038). Every request is
     * checked first, whatever its path: on a route's host, the route wins over Kiln's own paths; a
     * request no route takes (any other host, or a path outside every prefix) goes on to Kiln's own
     * surface, as a Cloudflare Workers request no route takes goes on to the origin.
     */
    private static RouteMatch routed(RouteTable table, HttpServerExchange exchange) {
        if (table.size() == 0) {
            return null;
        }
        String host;
        if (exchange.isHostIncludedInRequestURI()) {
            // An absolute-form target: its authority is the host (RFC 9112 §3.2.2).
            String uri = exchange.getRequestURI();
            int start = uri.indexOf("://") + 3;
            int end = uri.indexOf('/', start);
            host = start < 3 ? null : uri.substring(start, end < 0 ? uri.length() : end);
        } else {
            host = exchange.getRequestHeaders().getFirst(Headers.HOST);
        }
        return table.match(RequestHost.normalise(host), HttpTriggerHandler.rawPath(exchange))
                .orElse(null);
    }

    private static SSLContext tlsContext(KilnConfig config) {
        try {
            return TlsContexts.load(config.tls().certFile(), config.tls().keyFile());
        } catch (PemKeys.PemException e) {
            throw new IllegalArgumentException("TLS: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("TLS: cannot read the certificate or key", e);
        }
    }

    /**
     * An HTTP/1.0 client keeps its connection only if the response says {@code Connection:
     * keep-alive}, which Undertow no longer adds by itself ({@code ALWAYS_SET_KEEP_ALIVE} is off).
     * A response that ends up not persistent still gets {@code Connection: close} from Undertow.
     */
    static void keepAliveForHttp10(HttpServerExchange exchange) {
        if (exchange.isPersistent() && exchange.getProtocol().equals(Protocols.HTTP_1_0)) {
            exchange.getResponseHeaders().put(Headers.CONNECTION, Headers.KEEP_ALIVE.toString());
        }
    }

    private static int millis(Duration d) {
        return Math.toIntExact(d.toMillis());
    }

    private static void registerMetrics(
            Metrics metrics, Bodies.Intake intake, ConnectionLimiter limiter) {
        RequestBytesBudget budget = intake.budget();
        metrics.gauge(
                "kiln_http_buffered_request_bytes",
                "Request body bytes held in memory now (reserved from the budget).",
                List.of(),
                sink -> sink.add(budget.used()));
        metrics.gauge(
                "kiln_http_buffered_request_bytes_limit",
                "The budget of request body bytes held in memory (maxBufferedRequestBytes).",
                List.of(),
                sink -> sink.add(budget.limit()));
        metrics.counter(
                "kiln_http_buffer_refusals_total",
                "Requests refused (server_busy) because the request byte budget was" + " full.",
                List.of(),
                sink -> sink.add(budget.refusals()));
        metrics.counter(
                "kiln_http_body_timeouts_total",
                "Request bodies cut off (request_timeout) because no byte arrived for"
                        + " bodyReadTimeout.",
                List.of(),
                sink -> sink.add(intake.stalls().sum()));
        metrics.gauge(
                "kiln_http_connections",
                "Open client connections.",
                List.of(),
                sink -> sink.add(limiter.open()));
        metrics.gauge(
                "kiln_http_connections_limit",
                "Connection caps: host-wide (scope total) and per client address (scope ip).",
                List.of("scope"),
                sink -> {
                    sink.add(limiter.maxTotal(), "total");
                    sink.add(limiter.maxPerIp(), "ip");
                });
        metrics.counter(
                "kiln_http_connection_refusals_total",
                "Connections closed at accept because a cap was reached (scope total or ip).",
                List.of("scope"),
                sink -> {
                    sink.add(limiter.refused(ConnectionLimiter.Refusal.TOTAL), "total");
                    sink.add(limiter.refused(ConnectionLimiter.Refusal.PER_IP), "ip");
                });
    }

    /**
     * Every authenticated route, as {@code "METHOD template"}: each has its entry in {@code
     * PermissionTable}. Public besides these: {@code GET /healthz}, {@code GET
     * /api/v1/openapi.json}, the HTTP trigger {@code /fn/**} (its functions' {@code httpAuth}) and
     * the console's static files under {@code /console/} (docs/adr/0046).
     */
    public List<String> routes() {
        return routes;
    }

    /** Request body bytes held in memory now (for the host-wide memory budget to count). */
    public long bufferedRequestBytes() {
        return requestBytes.used();
    }

    /** The port actually bound (useful when configured with port 0). */
    public int port() {
        return server.getLocalAddress(InetSocketAddress.class).getPort();
    }

    /** The plain-HTTP port answering with redirects to HTTPS, or -1 when there is none. */
    public int redirectPort() {
        return redirectServer == null
                ? -1
                : redirectServer.getLocalAddress(InetSocketAddress.class).getPort();
    }

    /** Certificates reloaded since start (docs/adr/0034). */
    public int tlsReloads() {
        return tlsReloader == null ? 0 : tlsReloader.reloads();
    }

    @Override
    public void close() {
        if (tlsReloader != null) {
            tlsReloader.close();
        }
        IoUtils.safeClose(redirectServer);
        IoUtils.safeClose(server);
        worker.shutdown();
        try {
            if (!worker.awaitTermination(10, TimeUnit.SECONDS)) {
                worker.shutdownNow();
            }
        } catch (InterruptedException e) {
            worker.shutdownNow();
            Thread.currentThread().interrupt();
        }
        buffers.close();
    }
}
