package dev.kiln.host.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import dev.kiln.host.core.ErrorCode;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.AttachmentKey;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** Writes JSON bodies and the stable error envelope {@code {"error":{code,message,requestId}}}. */
final class Responses {
    static final ObjectMapper JSON =
            new ObjectMapper()
                    .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
                    // Stable output for maps such as env, whatever their in-memory order.
                    .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
                    // Instants as ISO-8601 text ("2026-12-03T19:00:00Z"), as every view writes
                    // them, so a record holding one can be its own view.
                    .registerModule(
                            new SimpleModule()
                                    .addSerializer(Instant.class, ToStringSerializer.instance));
    static final AttachmentKey<String> REQUEST_ID = AttachmentKey.create(String.class);

    /** The error code an exchange was answered with (for the audit log). */
    static final AttachmentKey<ErrorCode> ERROR_CODE = AttachmentKey.create(ErrorCode.class);

    static final HttpString X_REQUEST_ID = new HttpString("X-Kiln-Request-Id");

    private Responses() {}

    static String requestId(HttpServerExchange exchange) {
        return exchange.getAttachment(REQUEST_ID);
    }

    static void json(HttpServerExchange exchange, int status, Object body) {
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("response is not serialisable", e);
        }
        exchange.setStatusCode(status);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
        exchange.getResponseSender().send(ByteBuffer.wrap(bytes));
    }

    static void error(HttpServerExchange exchange, ErrorCode code, String message) {
        if (exchange.isResponseStarted()) {
            exchange.endExchange();
            return;
        }
        exchange.putAttachment(ERROR_CODE, code);
        if (code != ErrorCode.PAYLOAD_TOO_LARGE && Bodies.bodyUnread(exchange)) {
            // Refused before its body was read (unknown function, no credentials): the unread
            // bytes are not a next request, and draining them would let a client hold the
            // connection. A body declared over its cap is the exception, as before: Undertow
            // drains it (no buffer, bounded by the server-wide entity limit) so that a client
            // still sending it reads the 413 instead of a connection reset.
            exchange.setPersistent(false);
        }
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("code", code.wire());
        error.put("message", message);
        error.put("requestId", requestId(exchange));
        if (code == ErrorCode.OVERLOADED || code == ErrorCode.SERVER_BUSY) {
            exchange.getResponseHeaders().put(Headers.RETRY_AFTER, "1");
        }
        // A rate limit says when a token is due; whoever refused set it, else one second.
        if (code == ErrorCode.RATE_LIMITED
                && !exchange.getResponseHeaders().contains(Headers.RETRY_AFTER)) {
            exchange.getResponseHeaders().put(Headers.RETRY_AFTER, "1");
        }
        if (code == ErrorCode.UNAUTHORIZED) {
            exchange.getResponseHeaders().put(Headers.WWW_AUTHENTICATE, "Bearer realm=\"kiln\"");
        }
        json(exchange, code.httpStatus(), Map.of("error", error));
    }
}
