package dev.kiln.host.http;

import dev.kiln.host.access.Access;
import dev.kiln.host.access.Action;
import dev.kiln.host.access.AuditEntry;
import dev.kiln.host.access.Permission;
import dev.kiln.host.access.Principal;
import dev.kiln.host.access.Scope;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.registry.Registry;
import io.undertow.server.ExchangeCompletionListener;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.AttachmentKey;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.Deque;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The door of every authenticated route ({@code /api/**}, {@code /metrics}): refuses keys in the
 * URL, answers 429 to a client IP that presented too many invalid keys, authenticates the Bearer
 * key (401 without a valid one), attaches the {@link Principal}, and writes management writes to
 * the audit log once answered. What the principal may do is decided per route by {@link
 * GuardedRoutes}, from {@code PermissionTable}, before the route's handler reads anything.
 */
final class AccessControl implements HttpHandler {
    static final AttachmentKey<Principal> PRINCIPAL = AttachmentKey.create(Principal.class);

    /** The route that admitted the request, attached by {@link GuardedRoutes}. */
    static final AttachmentKey<RouteRule> ROUTE = AttachmentKey.create(RouteRule.class);

    /**
     * A route's template and the permission it needs: one attachment, not two, so that an
     * invocation's attachments fit Undertow's first attachment map without a resize.
     */
    record RouteRule(String template, Permission permission) {}

    /** Query parameters that would carry a credential (refused: keys go in headers only). */
    private static final Set<String> CREDENTIAL_PARAMS =
            Set.of(
                    "access_token",
                    "token",
                    "key",
                    "api_key",
                    "apikey",
                    "auth",
                    "authorization",
                    "bearer");

    private static final String BEARER = "Bearer ";

    private final Access access;
    private final HttpHandler next;

    /** One listener for every exchange (not one per request): audits the exchange it is given. */
    private final ExchangeCompletionListener auditor =
            (ex, nextListener) -> {
                try {
                    audit(ex);
                } finally {
                    nextListener.proceed();
                }
            };

    AccessControl(Access access, HttpHandler next) {
        this.access = access;
        this.next = next;
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) throws Exception {
        exchange.addExchangeCompleteListener(auditor);
        refuseKeysInQuery(exchange);
        exchange.putAttachment(PRINCIPAL, authenticate(exchange, access));
        next.handleRequest(exchange);
    }

    /**
     * The principal of the request's {@code Authorization: Bearer} key, else 401 {@code
     * unauthorized}; 429 {@code rate_limited} with {@code Retry-After} while the client IP's budget
     * of invalid keys is spent (checked before the key, so a guess gets no answer about it).
     */
    static Principal authenticate(HttpServerExchange exchange, Access access) {
        String token = bearerToken(exchange);
        if (token == null || token.isEmpty()) {
            throw new KilnException(
                    ErrorCode.UNAUTHORIZED, "missing 'Authorization: Bearer <key>'");
        }
        // The peer's address as text costs more than the rest of a valid key's check: formatted
        // only while some IP has presented invalid keys, or for this request's own failure.
        String ip = access.failures().tracksNone() ? null : clientIp(exchange);
        long wait = ip == null ? 0 : access.failures().retryAfterSeconds(ip);
        if (wait > 0) {
            exchange.getResponseHeaders().put(Headers.RETRY_AFTER, Long.toString(wait));
            throw new KilnException(
                    ErrorCode.RATE_LIMITED,
                    "too many invalid keys from this address; retry after " + wait + " s");
        }
        Optional<Principal> principal = access.keys().authenticate(token);
        if (principal.isEmpty()) {
            access.failures().failed(ip == null ? clientIp(exchange) : ip);
            throw new KilnException(
                    ErrorCode.UNAUTHORIZED,
                    "the key is not valid (mistyped, revoked or never issued)");
        }
        return principal.get();
    }

    /**
     * The HTTP trigger's check before the body: a function with {@code httpAuth: key} needs a key
     * with invoke rights on its service (429, 401 or 403 otherwise, as on the API).
     */
    static BeforeBody httpAuth(Registry registry, Access access) {
        Permission invoke = new Permission(Action.INVOKE, Scope.SERVICE);
        return (exchange, service, function) -> {
            var fn = registry.find(service, function);
            if (fn.isPresent() && fn.get().settings().httpAuthKey()) {
                Principal who = authenticate(exchange, access);
                if (!who.may(invoke, service)) {
                    throw GuardedRoutes.forbidden(who, invoke, service);
                }
                // The invocation is metered to this key (docs/adr/0043).
                exchange.putAttachment(PRINCIPAL, who);
            }
        };
    }

    /** The token of an {@code Authorization: Bearer} header, or null without one. */
    static String bearerToken(HttpServerExchange exchange) {
        String header = exchange.getRequestHeaders().getFirst(Headers.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return null;
        }
        return header.substring(BEARER.length()).trim();
    }

    /**
     * A key in a URL ends up in proxy logs, browser history and Referer headers: such a request is
     * refused before anything else looks at it, and its query string is never logged or audited.
     */
    private static void refuseKeysInQuery(HttpServerExchange exchange) {
        if (exchange.getQueryString().isEmpty()) {
            // Most requests. Routing, which adds path parameters to the query parameters, comes
            // after this check, so an empty query string means none: no map is made for them.
            return;
        }
        for (Map.Entry<String, Deque<String>> p : exchange.getQueryParameters().entrySet()) {
            boolean credential = CREDENTIAL_PARAMS.contains(p.getKey().toLowerCase(Locale.ROOT));
            for (String v : p.getValue()) {
                if (credential || v.startsWith("kiln_") || v.regionMatches(true, 0, BEARER, 0, 7)) {
                    throw new KilnException(
                            ErrorCode.BAD_REQUEST,
                            "keys are accepted in the 'Authorization: Bearer' header only, never"
                                    + " in the URL; if this URL held a real key, revoke it");
                }
            }
        }
    }

    /**
     * Appends a management write to the audit log: a routed request whose permission is audited, or
     * any unrouted request other than a read (refused before routing: no or an invalid key).
     */
    private void audit(HttpServerExchange ex) {
        RouteRule route = ex.getAttachment(ROUTE);
        Permission permission = route == null ? null : route.permission();
        boolean read =
                Methods.GET.equals(ex.getRequestMethod())
                        || Methods.HEAD.equals(ex.getRequestMethod())
                        || Methods.OPTIONS.equals(ex.getRequestMethod());
        if (read || (permission != null && !permission.audited())) {
            return;
        }
        Principal who = ex.getAttachment(PRINCIPAL);
        ErrorCode code = ex.getAttachment(Responses.ERROR_CODE);
        access.audit()
                .append(
                        new AuditEntry(
                                Instant.now(),
                                who == null ? null : who.keyId(),
                                who == null ? null : who.name(),
                                ex.getRequestMethod().toString(),
                                route == null ? null : route.template(),
                                ex.getRequestPath(),
                                ex.getStatusCode(),
                                code == null ? null : code.wire(),
                                clientIp(ex),
                                Responses.requestId(ex)));
    }

    /** The peer's IP address (no proxy headers are trusted), empty when unknown. */
    static String clientIp(HttpServerExchange exchange) {
        InetSocketAddress peer = exchange.getSourceAddress();
        if (peer == null || peer.getAddress() == null) {
            return "";
        }
        return peer.getAddress().getHostAddress();
    }
}
