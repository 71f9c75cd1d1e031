package dev.kiln.host.http;

import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/** Lets a request through only with {@code Authorization: Bearer <admin token>}. */
final class AdminAuth implements HttpHandler {
    private final byte[] token;
    private final HttpHandler next;

    AdminAuth(String token, HttpHandler next) {
        this.token = token.getBytes(StandardCharsets.UTF_8);
        this.next = next;
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) throws Exception {
        String header = exchange.getRequestHeaders().getFirst(Headers.AUTHORIZATION);
        String prefix = "Bearer ";
        if (header == null || !header.regionMatches(true, 0, prefix, 0, prefix.length())) {
            throw new KilnException(
                    ErrorCode.UNAUTHORIZED, "missing 'Authorization: Bearer <admin token>'");
        }
        byte[] given = header.substring(prefix.length()).trim().getBytes(StandardCharsets.UTF_8);
        // Constant-time comparison: response timing must not reveal how much of a guess matched.
        if (!MessageDigest.isEqual(given, token)) {
            throw new KilnException(ErrorCode.UNAUTHORIZED, "the admin token is not valid");
        }
        next.handleRequest(exchange);
    }
}
