package dev.kiln.host.http;

import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import io.undertow.io.Receiver;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RequestTooBigException;
import io.undertow.util.Headers;

/** Reads request bodies completely, with a size cap, without blocking an IO thread. */
final class Bodies {
    /** More than one read buffer, so the receiver's cap always trips first. */
    static final long ENTITY_SLACK = 1024 * 1024;

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
        // The receiver's cap stops a body, chunked or not, and lets us answer 413. Undertow's own
        // entity limit sits above it (here and server-wide, see KilnServer): when that limit trips
        // on a chunked body, Undertow closes the connection without an answer.
        exchange.setMaxEntitySize(maxBytes + ENTITY_SLACK);
        Receiver receiver = exchange.getRequestReceiver();
        receiver.setMaxBufferSize(Math.toIntExact(Math.min(maxBytes, Integer.MAX_VALUE - 8)));
        receiver.receiveFullBytes(
                (ex, body) -> ErrorBoundary.run(ex, () -> consumer.accept(ex, body)),
                (ex, error) ->
                        ErrorBoundary.run(
                                ex,
                                () -> {
                                    if (tooLarge(error)) {
                                        // The rest of the body is not read: close after.
                                        ex.setPersistent(false);
                                        throw tooLarge(maxBytes);
                                    }
                                    throw new KilnException(
                                            ErrorCode.BAD_REQUEST,
                                            "the request body could not be read");
                                }));
    }

    /** Whether a read failed because the body was over the cap (possibly wrapped by Undertow). */
    private static boolean tooLarge(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof RequestTooBigException
                    || t instanceof Receiver.RequestToLargeException) {
                return true;
            }
        }
        return false;
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
