package dev.kiln.host.http;

import dev.kiln.host.access.Access;
import dev.kiln.host.config.HttpLimits;
import dev.kiln.host.config.KilnConfig;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.deploy.DeployExecutor;
import dev.kiln.host.deploy.Deployer;
import dev.kiln.host.events.Events;
import dev.kiln.host.invoke.Invoker;
import dev.kiln.host.observability.InvocationStore;
import dev.kiln.host.observability.Metrics;
import dev.kiln.host.registry.Registry;
import dev.kiln.host.storage.DiskSpace;
import dev.kiln.host.triggers.Triggers;
import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.server.DefaultByteBufferPool;
import io.undertow.server.HttpHandler;
import io.undertow.server.protocol.http.HttpOpenListener;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.xnio.ChannelListeners;
import org.xnio.IoUtils;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.StreamConnection;
import org.xnio.Xnio;
import org.xnio.XnioWorker;
import org.xnio.channels.AcceptingChannel;

/**
 * Kiln's HTTP surface on Undertow: health, management API, invoke, and the HTTP trigger. The
 * listener is assembled here from XNIO and Undertow's {@link HttpOpenListener} (what {@code
 * Undertow.builder()} does inside) so that {@link ConnectionLimiter} can sit in front of it.
 */
public final class KilnServer implements AutoCloseable {
    private static final int BUFFER_SIZE = 16 * 1024;

    private final XnioWorker worker;
    private final AcceptingChannel<StreamConnection> server;
    private final DefaultByteBufferPool buffers;
    private final RequestBytesBudget requestBytes;
    private final List<String> routes;

    private KilnServer(
            XnioWorker worker,
            AcceptingChannel<StreamConnection> server,
            DefaultByteBufferPool buffers,
            RequestBytesBudget requestBytes,
            List<String> routes) {
        this.worker = worker;
        this.server = server;
        this.buffers = buffers;
        this.requestBytes = requestBytes;
        this.routes = routes;
    }

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
            DiskSpace space) {
        HttpLimits limits = config.httpLimits();
        BeforeBody beforeBody = BeforeBody.functionExists(registry);
        var invoke = new InvokeHandler(invoker, events, beforeBody, config.maxPayloadBytes());
        var eventsApi = new EventsApi(events, triggers);
        var router =
                new KeysApi(access)
                        .addTo(
                                eventsApi.addTo(
                                        new ManagementApi(
                                                        registry, deployer, uploads, records,
                                                        config)
                                                .afterDelete(eventsApi::functionDeleted)
                                                .routes(invoke)))
                        .get("/metrics", new MetricsHandler(metrics));
        List<String> routes = ((GuardedRoutes) router).routes();
        var api = new AccessControl(access, router);
        var trigger =
                new HttpTriggerHandler(
                        invoker,
                        registry,
                        beforeBody.andThen(AccessControl.httpAuth(registry, access)),
                        config.maxPayloadBytes());
        var health = new Health(space);
        var intake =
                new Bodies.Intake(
                        new RequestBytesBudget(limits.maxBufferedRequestBytes()),
                        limits.bodyReadTimeout().toMillis(),
                        new LongAdder());
        HttpHandler root =
                new ErrorBoundary(
                        exchange -> {
                            exchange.putAttachment(Bodies.INTAKE, intake);
                            TransferEncodingCheck.check(exchange);
                            String path = exchange.getRequestPath();
                            if (path.startsWith(HttpTriggerHandler.PREFIX)) {
                                trigger.handleRequest(exchange);
                            } else if (path.equals("/healthz")) {
                                health.handleRequest(exchange);
                            } else if (path.startsWith("/api/") || path.equals("/metrics")) {
                                api.handleRequest(exchange);
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
                        .getMap();
        int ioThreads = Math.max(Runtime.getRuntime().availableProcessors(), 2);
        XnioWorker worker = null;
        DefaultByteBufferPool buffers = null;
        try {
            worker =
                    Xnio.getInstance(Undertow.class.getClassLoader())
                            .createWorker(
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
            var limiter =
                    new ConnectionLimiter(
                            open, limits.maxConnections(), limits.maxConnectionsPerIp());
            registerMetrics(metrics, intake, limiter);
            AcceptingChannel<StreamConnection> server =
                    worker.createStreamConnectionServer(
                            new InetSocketAddress(
                                    InetAddress.getByName(config.host()), config.port()),
                            ChannelListeners.openListenerAdapter(limiter),
                            OptionMap.builder()
                                    .set(Options.WORKER_IO_THREADS, ioThreads)
                                    .set(Options.TCP_NODELAY, true)
                                    .set(Options.REUSE_ADDRESSES, true)
                                    .set(Options.BALANCING_TOKENS, 1)
                                    .set(Options.BALANCING_CONNECTIONS, 2)
                                    .set(Options.BACKLOG, 1000)
                                    .getMap());
            server.resumeAccepts();
            return new KilnServer(worker, server, buffers, intake.budget(), routes);
        } catch (IOException | RuntimeException e) {
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
     * PermissionTable}. Public besides these: {@code GET /healthz} and the HTTP trigger {@code
     * /fn/**} (its functions' {@code httpAuth}).
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

    @Override
    public void close() {
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
