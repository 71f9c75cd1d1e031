package dev.kiln.host.http;

import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.routes.Route;
import dev.kiln.host.routes.RouteStore;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RoutingHandler;
import java.util.Map;

/**
 * {@code /api/v1/routes}: custom-domain routes (docs/adr/0038). {@code PUT} creates (201) or
 * replaces (200) a route; {@code GET} lists or reads; {@code DELETE} removes (204). Host-wide, so
 * admin only (PermissionTable).
 */
final class RoutesApi {
    /** Largest {@code PUT} body: a route is five short fields. */
    static final int MAX_BODY_BYTES = 4 * 1024;

    private static final String ONE = "/api/v1/routes/{id}";

    private final RouteStore routes;

    RoutesApi(RouteStore routes) {
        this.routes = routes;
    }

    RoutingHandler addTo(RoutingHandler router) {
        return router.get("/api/v1/routes", blocking(this::list))
                .put(ONE, this::put)
                .get(ONE, blocking(this::get))
                .delete(ONE, blocking(this::delete));
    }

    private void put(HttpServerExchange exchange) {
        String id = PathParams.get(exchange, "id");
        Bodies.readJson(
                exchange,
                MAX_BODY_BYTES,
                (ex, json) -> {
                    Route route = Route.fromJson(id, json);
                    // The write waits for an fsync: not on the IO thread.
                    ErrorBoundary.dispatch(
                            ex, () -> Responses.json(ex, routes.put(route) ? 201 : 200, route));
                });
    }

    private void list(HttpServerExchange ex) {
        Responses.json(ex, 200, Map.of("routes", routes.list()));
    }

    private void get(HttpServerExchange ex) {
        Responses.json(ex, 200, routes.get(id(ex)).orElseThrow(() -> notFound(ex)));
    }

    private void delete(HttpServerExchange ex) {
        if (!routes.delete(id(ex))) {
            throw notFound(ex);
        }
        ex.setStatusCode(204);
        ex.endExchange();
    }

    private static String id(HttpServerExchange ex) {
        return PathParams.get(ex, "id");
    }

    private static KilnException notFound(HttpServerExchange ex) {
        String id = id(ex);
        String shown = Route.NAME.matcher(id).matches() ? "'" + id + "'" : "with this id";
        return new KilnException(ErrorCode.ROUTE_NOT_FOUND, "no route " + shown);
    }

    private static HttpHandler blocking(HttpHandler handler) {
        return exchange -> ErrorBoundary.dispatch(exchange, () -> handler.handleRequest(exchange));
    }
}
