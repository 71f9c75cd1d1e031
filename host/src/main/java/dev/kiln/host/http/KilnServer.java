package dev.kiln.host.http;

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
import io.undertow.server.HttpHandler;
import java.net.InetSocketAddress;

/** Kiln's HTTP surface on Undertow: health, management API, invoke, and the HTTP trigger. */
public final class KilnServer implements AutoCloseable {
    private final Undertow undertow;

    private KilnServer(Undertow undertow) {
        this.undertow = undertow;
    }

    public static KilnServer start(
            KilnConfig config,
            String adminToken,
            Registry registry,
            Deployer deployer,
            DeployExecutor uploads,
            Invoker invoker,
            InvocationStore records,
            Events events,
            Triggers triggers,
            Metrics metrics,
            DiskSpace space) {
        var invoke = new InvokeHandler(invoker, events, config.maxPayloadBytes());
        var eventsApi = new EventsApi(events, triggers);
        var api =
                new AdminAuth(
                        adminToken,
                        eventsApi.addTo(
                                new ManagementApi(registry, deployer, uploads, records, config)
                                        .afterDelete(eventsApi::functionDeleted)
                                        .routes(invoke)));
        var trigger = new HttpTriggerHandler(invoker, config.maxPayloadBytes());
        var metricsEndpoint = new AdminAuth(adminToken, new MetricsHandler(metrics));
        var health = new Health(space);
        HttpHandler root =
                new ErrorBoundary(
                        exchange -> {
                            String path = exchange.getRequestPath();
                            if (path.startsWith(HttpTriggerHandler.PREFIX)) {
                                trigger.handleRequest(exchange);
                            } else if (path.equals("/healthz")) {
                                health.handleRequest(exchange);
                            } else if (path.equals("/metrics")) {
                                metricsEndpoint.handleRequest(exchange);
                            } else if (path.startsWith("/api/")) {
                                api.handleRequest(exchange);
                            } else {
                                throw new KilnException(ErrorCode.NOT_FOUND, "no such path");
                            }
                        });
        Undertow undertow =
                Undertow.builder()
                        .addHttpListener(config.port(), config.host())
                        // Bodies enforces each endpoint's cap with a 413; this backstop only has
                        // to stay above every one of them.
                        .setServerOption(
                                UndertowOptions.MAX_ENTITY_SIZE,
                                Math.max(config.maxUploadBytes(), config.maxPayloadBytes())
                                        + Bodies.ENTITY_SLACK)
                        .setServerOption(UndertowOptions.ALLOW_UNESCAPED_CHARACTERS_IN_URL, false)
                        .setHandler(root)
                        .build();
        undertow.start();
        return new KilnServer(undertow);
    }

    /** The port actually bound (useful when configured with port 0). */
    public int port() {
        return ((InetSocketAddress) undertow.getListenerInfo().get(0).getAddress()).getPort();
    }

    @Override
    public void close() {
        undertow.stop();
    }
}
