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
import io.undertow.util.HttpString;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The router of every authenticated route. Every route added, however ({@code get}, {@code put},
 * {@code add}...), goes through {@link #add(HttpString, String, HttpHandler)}, which looks its
 * permission up in {@link PermissionTable} (a route without an entry cannot be registered: the host
 * does not start) and puts the one authorization check in front of the route's handler. It runs
 * before the handler, so before any body is read; {@link AccessControl} has authenticated already.
 */
final class GuardedRoutes extends RoutingHandler {
    private final List<String> routes = new ArrayList<>();

    @Override
    public synchronized RoutingHandler add(
            HttpString method, String template, HttpHandler handler) {
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
        routes.add(PermissionTable.key(m, template));
        return super.add(method, template, new Guard(template, permission, handler));
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
    private record Guard(String template, Permission permission, HttpHandler next)
            implements HttpHandler {
        @Override
        public void handleRequest(HttpServerExchange exchange) throws Exception {
            exchange.putAttachment(AccessControl.ROUTE, template);
            exchange.putAttachment(AccessControl.PERMISSION, permission);
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
            next.handleRequest(exchange);
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
