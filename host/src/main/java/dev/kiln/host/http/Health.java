package dev.kiln.host.http;

import dev.kiln.host.storage.DiskSpace;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code GET /healthz}: 200 {@code {"status":"ok"}}, or 503 {@code
 * {"status":"degraded","storage":"full"}} while the data directory's disk is below its free-space
 * floor, so a load balancer or supervisor sees a host that can no longer accept writes.
 */
final class Health implements HttpHandler {
    private final DiskSpace space;

    Health(DiskSpace space) {
        this.space = space;
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) {
        if (space.low()) {
            Map<String, String> body = new LinkedHashMap<>();
            body.put("status", "degraded");
            body.put("storage", "full");
            Responses.json(exchange, 503, body);
        } else {
            Responses.json(exchange, 200, Map.of("status", "ok"));
        }
    }
}
