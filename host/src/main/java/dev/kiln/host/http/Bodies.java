package dev.kiln.host.http;

import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RequestTooBigException;
import io.undertow.util.Headers;

/** Reads request bodies completely, with a size cap, without blocking an IO thread. */
final class Bodies {
    private Bodies() {}

    interface BodyConsumer {
        void accept(HttpServerExchange exchange, byte[] body) throws Exception;
    }

    /**
     * Reads the body (at most {@code maxBytes}) and hands it to {@code consumer} inside the error
     * boundary. Oversized bodies get {@code payload_too_large} before or while they arrive.
     */
    static void read(HttpServerExchange exchange, long maxBytes, BodyConsumer consumer) {
        long declared = exchange.getRequestContentLength();
        if (declared > maxBytes) {
            throw tooLarge(maxBytes);
        }
        exchange.setMaxEntitySize(maxBytes);
        exchange.getRequestReceiver()
                .receiveFullBytes(
                        (ex, body) -> ErrorBoundary.run(ex, () -> consumer.accept(ex, body)),
                        (ex, error) ->
                                ErrorBoundary.run(
                                        ex,
                                        () -> {
                                            if (error instanceof RequestTooBigException) {
                                                // The rest of the body is not read: close after.
                                                ex.setPersistent(false);
                                                throw tooLarge(maxBytes);
                                            }
                                            throw new KilnException(
                                                    ErrorCode.BAD_REQUEST,
                                                    "the request body could not be read");
                                        }));
    }

    static String mediaType(HttpServerExchange exchange) {
        String ct = exchange.getRequestHeaders().getFirst(Headers.CONTENT_TYPE);
        if (ct == null) {
            return null;
        }
        int semi = ct.indexOf(';');
        return (semi < 0 ? ct : ct.substring(0, semi)).trim();
    }

    private static KilnException tooLarge(long maxBytes) {
        return new KilnException(
                ErrorCode.PAYLOAD_TOO_LARGE,
                "the request body is larger than " + maxBytes + " bytes");
    }
}
