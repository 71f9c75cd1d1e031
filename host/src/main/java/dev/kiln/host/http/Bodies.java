package dev.kiln.host.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.AttachmentKey;
import io.undertow.util.Headers;
import java.io.IOException;
import java.util.concurrent.atomic.LongAdder;

/**
 * Reads request bodies completely, with a size cap, without blocking an IO thread. The body is
 * buffered as it arrives (never sized from Content-Length), every buffered byte is reserved from
 * the host's {@link RequestBytesBudget}, and a body that stops arriving is cut off (see {@link
 * BodyRead}).
 */
final class Bodies {
    /** More than one read buffer, so Kiln's own cap always trips before Undertow's. */
    static final long ENTITY_SLACK = 1024 * 1024;

    /**
     * What every body read on this host shares. The root handler puts it on each connection (once:
     * a connection's attachments outlive its requests), so the many handlers that read bodies need
     * no extra constructor argument, and an exchange carries one attachment fewer.
     */
    static final AttachmentKey<Intake> INTAKE = AttachmentKey.create(Intake.class);

    /**
     * @param budget request bytes all requests together may hold
     * @param stallTimeoutMs longest a body may go without a byte arriving
     * @param stalls bodies cut off because they stopped arriving, since start
     */
    record Intake(RequestBytesBudget budget, long stallTimeoutMs, LongAdder stalls) {}

    private Bodies() {}

    /** Gives {@code exchange}'s connection the host's intake, unless it has it already. */
    static void attachIntake(HttpServerExchange exchange, Intake intake) {
        var connection = exchange.getConnection();
        if (connection.getAttachment(INTAKE) == null) {
            connection.putAttachment(INTAKE, intake);
        }
    }

    interface BodyConsumer {
        void accept(HttpServerExchange exchange, byte[] body) throws Exception;
    }

    /**
     * Reads the body (at most {@code maxBytes}) and hands it to {@code consumer} inside the error
     * boundary. Oversized bodies get {@code payload_too_large} before or while they arrive; a body
     * the budget has no room for gets {@code server_busy}; a stalled one {@code request_timeout}.
     */
    static void read(HttpServerExchange exchange, long maxBytes, BodyConsumer consumer) {
        Intake intake = exchange.getConnection().getAttachment(INTAKE);
        if (intake == null) {
            throw new IllegalStateException("no body intake on this connection");
        }
        long declared = exchange.getRequestContentLength();
        if (declared > maxBytes) {
            throw tooLarge(maxBytes);
        }
        // Undertow's own entity limit sits above Kiln's cap (here and server-wide, see
        // KilnServer): when that limit trips on a chunked body, Undertow closes the connection
        // without an answer.
        exchange.setMaxEntitySize(maxBytes + ENTITY_SLACK);
        new BodyRead(exchange, intake, maxBytes, declared, consumer).start();
    }

    interface JsonConsumer {
        void accept(HttpServerExchange exchange, JsonNode json) throws Exception;
    }

    /**
     * {@link #read}s a body of at most {@code maxBytes} and parses it as JSON; a body that is not
     * JSON gets {@code bad_request}.
     */
    static void readJson(HttpServerExchange exchange, long maxBytes, JsonConsumer consumer) {
        read(exchange, maxBytes, (ex, body) -> consumer.accept(ex, parseJson(body)));
    }

    private static JsonNode parseJson(byte[] body) {
        try {
            return Responses.JSON.readTree(body);
        } catch (IOException e) {
            throw new KilnException(ErrorCode.BAD_REQUEST, "body is not valid JSON");
        }
    }

    static String mediaType(HttpServerExchange exchange) {
        String ct = exchange.getRequestHeaders().getFirst(Headers.CONTENT_TYPE);
        if (ct == null) {
            return null;
        }
        int semi = ct.indexOf(';');
        return (semi < 0 ? ct : ct.substring(0, semi)).trim();
    }

    static KilnException tooLarge(long maxBytes) {
        return new KilnException(
                ErrorCode.PAYLOAD_TOO_LARGE,
                "the request body is larger than " + maxBytes + " bytes");
    }

    /**
     * Whether the request still has body bytes on the wire that nobody will read: then the
     * connection must close after the answer (its next bytes are not a request).
     */
    static boolean bodyUnread(HttpServerExchange exchange) {
        return !exchange.isRequestComplete()
                && (exchange.getRequestContentLength() > 0
                        || exchange.getRequestHeaders().contains(Headers.TRANSFER_ENCODING));
    }
}
