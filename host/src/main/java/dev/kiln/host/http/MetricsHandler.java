package dev.kiln.host.http;

import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.observability.Metrics;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** {@code GET /metrics}: the host's metrics in the Prometheus text format. */
final class MetricsHandler implements HttpHandler {
    private static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final Metrics metrics;

    MetricsHandler(Metrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) {
        if (!Methods.GET.equals(exchange.getRequestMethod())
                && !Methods.HEAD.equals(exchange.getRequestMethod())) {
            throw new KilnException(ErrorCode.METHOD_NOT_ALLOWED, "use GET on /metrics");
        }
        // Computed gauges walk the pools: keep that off the IO thread.
        if (exchange.isInIoThread()) {
            exchange.dispatch(() -> ErrorBoundary.run(exchange, () -> handleRequest(exchange)));
            return;
        }
        byte[] body = metrics.scrape().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, CONTENT_TYPE);
        if (Methods.HEAD.equals(exchange.getRequestMethod())) {
            exchange.getResponseHeaders().put(Headers.CONTENT_LENGTH, body.length);
            exchange.endExchange();
        } else {
            exchange.getResponseSender().send(ByteBuffer.wrap(body));
        }
    }
}
