package dev.kiln.host.http;

import dev.kiln.abi.Header;
import dev.kiln.abi.HttpRequestMeta;
import dev.kiln.host.access.ApiKeys;
import dev.kiln.host.cluster.Overflow;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.invoke.Invoker;
import dev.kiln.host.observability.Metrics;
import dev.kiln.host.quota.ClientRateLimiter;
import dev.kiln.host.quota.TokenBucket;
import dev.kiln.host.registry.Registry;
import dev.kiln.host.routes.Qualifier;
import dev.kiln.host.routes.Route;
import dev.kiln.host.routes.RouteMatch;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The HTTP trigger: any method on {@code /fn/{service}/{function}[@{qualifier}]/{rest...}} hands
 * the whole request to the function, which answers with its own status, headers and body. The one
 * exception is {@code CONNECT} (docs/adr/0024-http-trigger-trace-and-connect.md).
 */
final class HttpTriggerHandler implements HttpHandler {
    static final String PREFIX = "/fn/";

    /**
     * What a 405 must list (RFC 9110 §15.5.6): the standard methods the trigger passes on. Any
     * other method token except CONNECT reaches the function too.
     */
    static final String ALLOWED = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, TRACE";

    /** Client addresses whose rate is tracked at once (see {@link ClientRateLimiter}). */
    static final int MAX_TRACKED_CLIENTS = 65_536;

    private final Invoker invoker;
    private final Overflow overflow;
    private final Registry registry;
    private final BeforeBody before;
    private final long maxPayloadBytes;
    private final ClientRateLimiter perClient;
    private final Metrics.Counter refused;

    /**
     * @param before checks before the body is read: the function exists, and its {@code httpAuth}
     *     (docs/adr/0033)
     * @param ratePerClient requests per second each client address may send, 0 for no limit
     * @param overflow where calls refused here for capacity go, {@code null} on one node
     */
    HttpTriggerHandler(
            Invoker invoker,
            Overflow overflow,
            Registry registry,
            BeforeBody before,
            long maxPayloadBytes,
            int ratePerClient,
            Metrics metrics) {
        this.invoker = invoker;
        this.overflow = overflow;
        this.registry = registry;
        this.before = before;
        this.maxPayloadBytes = maxPayloadBytes;
        this.perClient =
                ratePerClient > 0
                        ? new ClientRateLimiter(
                                ratePerClient, MAX_TRACKED_CLIENTS, System.nanoTime())
                        : null;
        this.refused =
                metrics.counter(
                        "kiln_trigger_rate_limited_total",
                        "HTTP trigger requests refused with rate_limited because their client"
                                + " address was over --trigger-rate-per-ip.");
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) {
        admit(exchange);
        // The raw (still percent-encoded) URI: the guest decides how to decode its own path.
        String raw = exchange.getRequestURI();
        int at = raw.indexOf(PREFIX);
        String tail = at < 0 ? "" : raw.substring(at + PREFIX.length());
        int slash1 = tail.indexOf('/');
        String service = slash1 < 0 ? tail : tail.substring(0, slash1);
        String afterService = slash1 < 0 ? "" : tail.substring(slash1 + 1);
        int slash2 = afterService.indexOf('/');
        String function = slash2 < 0 ? afterService : afterService.substring(0, slash2);
        String rest = slash2 < 0 ? "/" : afterService.substring(slash2);
        // /fn/{service}/{function}@{qualifier}/...: names hold no '@' (docs/adr/0037).
        String qualifier = Qualifier.LATEST;
        int at2 = function.indexOf('@');
        if (at2 >= 0) {
            qualifier = function.substring(at2 + 1);
            function = function.substring(0, at2);
            if (qualifier.isEmpty()) {
                throw new KilnException(
                        ErrorCode.BAD_REQUEST,
                        "a qualifier follows '@': LATEST, a version number or an alias name");
            }
        }
        if (service.isEmpty() || function.isEmpty()) {
            throw new KilnException(
                    ErrorCode.FUNCTION_NOT_FOUND,
                    "HTTP trigger paths look like /fn/{service}/{function}/...");
        }
        forward(exchange, service, function, qualifier, rest);
    }

    /**
     * A request that a custom-domain route took (docs/adr/0038): the route's function gets it as an
     * HTTP trigger request whose path is what follows the route's prefix, query kept. Everything
     * else is as on {@code /fn/}: the per-client rate, CONNECT refused, the function's {@code
     * httpAuth}, Kiln keys hidden from the guest.
     */
    void handleRouted(HttpServerExchange exchange, RouteMatch match) {
        admit(exchange);
        Route route = match.route();
        forward(exchange, route.service(), route.function(), route.qualifier(), match.rest());
    }

    /** The raw request path (percent-encoded as sent, no query), also for absolute-form targets. */
    static String rawPath(HttpServerExchange exchange) {
        String uri = exchange.getRequestURI();
        if (exchange.isHostIncludedInRequestURI()) {
            int scheme = uri.indexOf("://");
            int slash = scheme < 0 ? -1 : uri.indexOf('/', scheme + 3);
            return slash < 0 ? "/" : uri.substring(slash);
        }
        return uri;
    }

    /** Checks made before anything else: the client's rate, and no CONNECT. */
    private void admit(HttpServerExchange exchange) {
        if (perClient != null) {
            // Before the body is read: a client over its rate costs the host one small answer.
            long wait = perClient.tryTake(remoteAddress(exchange), System.nanoTime());
            if (wait > 0) {
                refused.inc();
                exchange.getResponseHeaders()
                        .put(Headers.RETRY_AFTER, TokenBucket.retryAfterSeconds(wait));
                throw new KilnException(
                        ErrorCode.RATE_LIMITED,
                        "too many requests from this client address; retry later");
            }
        }
        if (Methods.CONNECT.equals(exchange.getRequestMethod())) {
            // A 2xx to CONNECT turns the connection into a tunnel (RFC 9110 §9.3.6) and a
            // function only answers requests: refused before any guest runs.
            exchange.getResponseHeaders().put(Headers.ALLOW, ALLOWED);
            throw new KilnException(
                    ErrorCode.METHOD_NOT_ALLOWED,
                    "CONNECT is not allowed: the HTTP trigger answers requests and opens no"
                            + " tunnels");
        }
    }

    /** Hands the request to {@code service/function} with {@code rest} as the guest's path. */
    private void forward(
            HttpServerExchange exchange,
            String service,
            String function,
            String qualifier,
            String rest) {
        boolean kilnKey = carriesKilnKey(exchange, service, function);
        List<Header> headers = new ArrayList<>();
        for (HeaderValues values : exchange.getRequestHeaders()) {
            String name = values.getHeaderName().toString().toLowerCase(Locale.ROOT);
            if (kilnKey && name.equals("authorization")) {
                continue; // Kiln's key is never the guest's to see
            }
            for (String v : values) {
                headers.add(new Header(name, v));
            }
        }
        var http =
                new HttpRequestMeta(
                        exchange.getRequestMethod().toString(),
                        rest,
                        exchange.getQueryString(),
                        headers,
                        exchange.getProtocol().toString(),
                        remoteAddress(exchange));
        InvocationDispatch.readAndDispatch(
                exchange,
                invoker,
                overflow,
                before,
                maxPayloadBytes,
                service,
                function,
                qualifier,
                http);
    }

    /**
     * Whether the Authorization header carries a Kiln key, which the guest must not see: always so
     * for a function with {@code httpAuth: key} (its key was checked before the body); for an
     * {@code anonymous} one when the token has Kiln's prefix (judged by its shape only, so an
     * echoing guest cannot tell a valid key from a guess).
     */
    private boolean carriesKilnKey(HttpServerExchange exchange, String service, String function) {
        var fn = registry.find(service, function);
        if (fn.isPresent() && fn.get().settings().httpAuthKey()) {
            return true;
        }
        String token = AccessControl.bearerToken(exchange);
        return token != null && token.startsWith(ApiKeys.KILN_TOKEN_PREFIX);
    }

    /** The peer's IP address (what a CGI program sees as REMOTE_ADDR), empty when unknown. */
    private static String remoteAddress(HttpServerExchange exchange) {
        InetSocketAddress peer = exchange.getSourceAddress();
        if (peer == null || peer.getAddress() == null) {
            return "";
        }
        return peer.getAddress().getHostAddress();
    }
}
