package dev.kiln.host.http;

import dev.kiln.host.access.Access;
import dev.kiln.host.access.KeyRequest;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RoutingHandler;
import java.time.Instant;
import java.util.Map;

/** {@code /api/v1/keys} (create, list, revoke) and {@code /api/v1/audit}: admin only. */
final class KeysApi {
    static final int MAX_BODY_BYTES = 16 * 1024;
    static final int MAX_AUDIT_PAGE = 1000;

    private final Access access;

    KeysApi(Access access) {
        this.access = access;
    }

    RoutingHandler addTo(RoutingHandler routes) {
        return routes.post("/api/v1/keys", this::create)
                .get("/api/v1/keys", blocking(this::list))
                .delete("/api/v1/keys/{id}", blocking(this::delete))
                .get("/api/v1/audit", blocking(this::audit));
    }

    private void create(HttpServerExchange exchange) {
        Bodies.readJson(
                exchange,
                MAX_BODY_BYTES,
                (ex, json) -> {
                    KeyRequest request = KeyRequest.fromJson(json);
                    // The insert waits for an fsync: not on the IO thread.
                    ErrorBoundary.dispatch(
                            ex,
                            () ->
                                    Responses.json(
                                            ex,
                                            201,
                                            Views.CreatedKey.of(access.keys().create(request))));
                });
    }

    private void list(HttpServerExchange ex) {
        var keys = access.keys().list().stream().map(Views.Key::of).toList();
        Responses.json(ex, 200, Map.of("keys", keys));
    }

    private void delete(HttpServerExchange ex) {
        access.keys().delete(PathParams.get(ex, "id"));
        ex.setStatusCode(204);
        ex.endExchange();
    }

    private void audit(HttpServerExchange ex) throws InterruptedException {
        Instant since = QueryParams.instant(ex, "since");
        int limit = QueryParams.intFromOne(ex, "limit", 100, MAX_AUDIT_PAGE);
        // AuditEntry is the view: its time is written as an ISO-8601 instant (Responses.JSON).
        Responses.json(ex, 200, Map.of("entries", access.audit().list(since, limit)));
    }

    /** Runs {@code handler} on a worker thread: key and audit storage touch disk. */
    private static HttpHandler blocking(HttpHandler handler) {
        return exchange ->
                exchange.dispatch(
                        () -> ErrorBoundary.run(exchange, () -> handler.handleRequest(exchange)));
    }
}
