package dev.kiln.host.http;

import dev.kiln.host.access.Access;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Methods;
import io.undertow.util.PathTemplateMatch;
import java.util.Map;

/**
 * {@code POST /api/v1/services/{service}/functions/{function}/invoke} recognised by its fixed shape
 * ahead of the router (docs/adr/0071): the API's busiest route skips the template match, which cost
 * about as much as the rest of the route's own work. It goes through the same door ({@link
 * AccessControl}) and the same authorization check ({@link GuardedRoutes#guard}) as every routed
 * request; a path of any other shape (an empty name, a trailing slash, another method) goes on to
 * the router, which answers it as before.
 */
final class InvokeRoute {
    static final String TEMPLATE = "/api/v1/services/{service}/functions/{function}/invoke";
    private static final String SERVICES = "/api/v1/services/";
    private static final String FUNCTIONS = "/functions/";
    private static final String INVOKE = "/invoke";

    private final HttpHandler door;

    InvokeRoute(Access access, HttpHandler invoke) {
        this.door = new AccessControl(access, GuardedRoutes.guard(Methods.POST, TEMPLATE, invoke));
    }

    /** Handles the exchange and returns true when it is an invoke; false leaves it untouched. */
    boolean handled(HttpServerExchange exchange) throws Exception {
        if (!Methods.POST.equals(exchange.getRequestMethod())) {
            return false;
        }
        PathTemplateMatch match = match(exchange.getRelativePath());
        if (match == null) {
            return false;
        }
        exchange.putAttachment(PathTemplateMatch.ATTACHMENT_KEY, match);
        door.handleRequest(exchange);
        return true;
    }

    /** The service and function of an invoke path, or null for a path of another shape. */
    static PathTemplateMatch match(String path) {
        if (!path.startsWith(SERVICES) || !path.endsWith(INVOKE)) {
            return null;
        }
        int serviceEnd = path.indexOf('/', SERVICES.length());
        if (serviceEnd <= SERVICES.length() || !path.startsWith(FUNCTIONS, serviceEnd)) {
            return null;
        }
        int functionStart = serviceEnd + FUNCTIONS.length();
        int functionEnd = path.length() - INVOKE.length();
        if (functionEnd <= functionStart || path.indexOf('/', functionStart) != functionEnd) {
            return null;
        }
        return new PathTemplateMatch(
                TEMPLATE,
                Map.of(
                        "service",
                        path.substring(SERVICES.length(), serviceEnd),
                        "function",
                        path.substring(functionStart, functionEnd)));
    }
}
