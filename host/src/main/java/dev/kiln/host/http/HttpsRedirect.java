package dev.kiln.host.http;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.util.regex.Pattern;

/**
 * The optional plain-HTTP listener of an HTTPS host ({@code --http-redirect-port}): every request
 * gets 308 Permanent Redirect to the same path and query over HTTPS, so a method and body are
 * repeated as they were (unlike 301). Nothing else is served in clear text.
 */
final class HttpsRedirect implements HttpHandler {
    /** A host name or IPv4 address, or an IPv6 literal in brackets; anything else is not used. */
    private static final Pattern HOST =
            Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\\[[0-9A-Fa-f:.]{2,45}\\]");

    private final String fallbackHost;
    private volatile int httpsPort;

    HttpsRedirect(String listenHost) {
        this.fallbackHost = listenHost.contains(":") ? "[" + listenHost + "]" : listenHost;
    }

    void httpsPort(int port) {
        this.httpsPort = port;
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) {
        String host = requestHost(exchange);
        StringBuilder location = new StringBuilder("https://").append(host);
        if (httpsPort != 443) {
            location.append(':').append(httpsPort);
        }
        location.append(exchange.getRequestURI());
        String query = exchange.getQueryString();
        if (query != null && !query.isEmpty()) {
            location.append('?').append(query);
        }
        exchange.setStatusCode(308);
        exchange.getResponseHeaders().put(Headers.LOCATION, location.toString());
        exchange.getResponseHeaders().put(Headers.CONTENT_LENGTH, 0);
        exchange.endExchange();
    }

    /** The Host header without its port, if it is a well-formed name; else the listen address. */
    private String requestHost(HttpServerExchange exchange) {
        String header = exchange.getRequestHeaders().getFirst(Headers.HOST);
        if (header == null) {
            return fallbackHost;
        }
        String h = header.strip();
        if (h.startsWith("[")) {
            int close = h.indexOf(']');
            h = close < 0 ? "" : h.substring(0, close + 1);
        } else {
            int colon = h.indexOf(':');
            if (colon >= 0) {
                h = h.substring(0, colon);
            }
        }
        return HOST.matcher(h).matches() ? h : fallbackHost;
    }
}
