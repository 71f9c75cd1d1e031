package dev.kiln.host.http;

import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;

/**
 * Request framing Kiln accepts (RFC 9112 §6): a body is either {@code Content-Length} or {@code
 * Transfer-Encoding: chunked}, exactly that one coding in one header line. Kiln decodes no other
 * transfer coding, and a list ({@code gzip, chunked}, {@code chunked, chunked}), a repeated header,
 * {@code identity} (removed from HTTP/1.1) or both framings at once are how request smuggling
 * starts, so each is a 400 {@code bad_request}; the connection closes after it (the body's end is
 * unknown).
 */
final class TransferEncodingCheck {
    private TransferEncodingCheck() {}

    static void check(HttpServerExchange exchange) {
        HeaderValues te = exchange.getRequestHeaders().get(Headers.TRANSFER_ENCODING);
        if (te == null || te.isEmpty()) {
            return;
        }
        if (te.size() != 1 || !te.getFirst().trim().equalsIgnoreCase("chunked")) {
            throw refuse("Transfer-Encoding must be exactly 'chunked'");
        }
        if (exchange.getRequestHeaders().contains(Headers.CONTENT_LENGTH)) {
            throw refuse("a request may not have both Transfer-Encoding and Content-Length");
        }
    }

    private static KilnException refuse(String message) {
        return new KilnException(ErrorCode.BAD_REQUEST, message);
    }
}
