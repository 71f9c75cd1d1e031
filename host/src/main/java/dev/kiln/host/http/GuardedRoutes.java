package dev.kiln.host.http;

import dev.kiln.host.access.Permission;
import dev.kiln.host.access.PermissionTable;
import dev.kiln.host.access.Principal;
import dev.kiln.host.access.Scope;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import io.undertow.predicate.Predicate;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RoutingHandler;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The router of every authenticated route. Every route added, however ({@code get}, {@code put},
 * {@code add}...), goes through {@link #add(HttpString, String, HttpHandler)}, which looks its
 * permission up in {@link PermissionTable} (a route without an entry cannot be registered: the host
 * does not start) and puts the one authorization check in front of the route's handler. It runs
 * before the handler, so before any body is read; {@link AccessControl} has authenticated already.
 */
final class GuardedRoutes extends RoutingHandler {
    private final List<String> routes = new ArrayList<>();

    GuardedRoutes() {
        // A known path with another method: 405 listing the methods it has (RFC 9110 §15.5.6).
        setInvalidMethodHandler(
                ex -> {
                    ex.getResponseHeaders().put(Headers.ALLOW, allowedMethods(ex.getRequestPath()));
                    throw new KilnException(
                            ErrorCode.METHOD_NOT_ALLOWED,
                            "method "
                                    + ex.getRequestMethod()
                                    + " is not allowed on this endpoint; it takes "
                                    + allowedMethods(ex.getRequestPath()));
                });
    }

    /** The methods of the routes whose template matches {@code path}, sorted, comma-separated. */
    synchronized String allowedMethods(String path) {
        Set<String> methods = new TreeSet<>();
        String[] segments = path.split("/", -1);
        for (String route : routes) {
            int space = route.indexOf(' ');
            if (matches(route.substring(space + 1).split("/", -1), segments)) {
                methods.add(route.substring(0, space));
            }
        }
        return String.join(", ", methods);
    }

    private static boolean matches(String[] template, String[] path) {
        if (template.length != path.length) {
            return false;
        }
        for (int i = 0; i < template.length; i++) {
            boolean parameter = template[i].startsWith("{") && template[i].endsWith("}");
            if (parameter ? path[i].isEmpty() : !template[i].equals(path[i])) {
                return false;
            }
        }
        return true;
    }

    @Override
    public synchronized RoutingHandler add(
            HttpString method, String template, HttpHandler handler) {
        HttpHandler guarded = guard(method, template, handler);
        routes.add(PermissionTable.key(method.toString().toUpperCase(Locale.ROOT), template));
        return super.add(method, template, guarded);
    }

    /**
     * {@code handler} behind the authorization check of {@code method template}: its permission
     * from {@link PermissionTable}, which must have an entry for it (the host does not start
     * otherwise).
     */
    static HttpHandler guard(HttpString method, String template, HttpHandler handler) {
        String m = method.toString().toUpperCase(Locale.ROOT);
        Permission permission =
                PermissionTable.lookup(m, template)
                        .orElseThrow(
                                () ->
                                        new IllegalStateException(
                                                "route "
                                                        + m
                                                        + " "
                                                        + template
                                                        + " has no entry in PermissionTable"));
        return new Guard(new AccessControl.RouteRule(template, permission), handler);
    }

    @Override
    public synchronized RoutingHandler add(
            HttpString method, String template, Predicate predicate, HttpHandler handler) {
        throw new UnsupportedOperationException("predicated routes are not guarded; use add()");
    }

    @Override
    public synchronized RoutingHandler addAll(RoutingHandler other) {
        throw new UnsupportedOperationException("routes are added one by one, each guarded");
    }

    /** Every route registered, as {@code "METHOD template"}. */
    synchronized List<String> routes() {
        return List.copyOf(routes);
    }

    /** The authorization check: 403 {@code forbidden} outside the key's role or services. */
    private record Guard(AccessControl.RouteRule rule, HttpHandler next) implements HttpHandler {
        @Override
        public void handleRequest(HttpServerExchange exchange) throws Exception {
            exchange.putAttachment(AccessControl.ROUTE, rule);
            Permission permission = rule.permission();
            String template = rule.template();
            Principal who = exchange.getAttachment(AccessControl.PRINCIPAL);
            if (who == null) {
                throw new KilnException(ErrorCode.UNAUTHORIZED, "missing 'Authorization: Bearer'");
            }
            String service =
                    permission.scope() == Scope.SERVICE
                            ? PathParams.get(exchange, "service")
                            : null;
            if (!who.may(permission, service)) {
                throw forbidden(who, permission, service);
            }
            refuseUnknownQueryParameters(exchange, template);
            next.handleRequest(exchange);
        }
    }

    /**
     * 400 {@code bad_request} for a query parameter the route does not take (a typo such as {@code
     * ?qualifer=} would otherwise be ignored silently): the route's parameters are the ones {@code
     * openapi.json} declares for it ({@link ApiDescription#queryParameters}).
     */
    private static void refuseUnknownQueryParameters(HttpServerExchange ex, String template) {
        if (ex.getQueryString().isEmpty()) {
            return; // most requests: no lookup, no split
        }
        String method = ex.getRequestMethod().toString();
        Set<String> known = ApiDescription.queryParameters(method, template);
        // The raw query, not getQueryParameters(): the router adds the path's {parameters} to that.
        for (String pair : ex.getQueryString().split("&", -1)) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name;
            try {
                name =
                        URLDecoder.decode(
                                eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new KilnException(ErrorCode.BAD_REQUEST, "the query string is malformed");
            }
            if (!known.contains(name)) {
                throw new KilnException(
                        ErrorCode.BAD_REQUEST,
                        "unknown query parameter '"
                                + name
                                + "'; "
                                + method
                                + " "
                                + template
                                + (known.isEmpty()
                                        ? " takes none"
                                        : " takes " + String.join(", ", new TreeSet<>(known))));
            }
        }
    }

    static KilnException forbidden(Principal who, Permission permission, String service) {
        String what = permission.action().name().toLowerCase(Locale.ROOT);
        String where =
                switch (permission.scope()) {
                    case SERVICE -> " in service '" + service + "'";
                    case ALL_SERVICES -> " across all services";
                    case ANY -> "";
                };
        return new KilnException(
                ErrorCode.FORBIDDEN,
                "this key (role "
                        + who.role().wire()
                        + ", services "
                        + String.join(",", who.services().texts())
                        + ") may not "
                        + what
                        + where);
    }
}
