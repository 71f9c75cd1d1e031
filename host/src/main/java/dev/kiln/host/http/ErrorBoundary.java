package dev.kiln.host.http;

import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.invoke.RequestIds;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The outermost handler: gives every request an id, and turns any exception into the error
 * envelope. Unexpected exceptions are logged with the request id and shown to the client only as
 * {@code internal}: no Java internals ever reach a response.
 */
final class ErrorBoundary implements HttpHandler {
    private static final Logger log = LoggerFactory.getLogger(ErrorBoundary.class);

    private static final String MDC_KEY = "requestId";

    private final HttpHandler next;

    ErrorBoundary(HttpHandler next) {
        this.next = next;
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) {
        if (exchange.getAttachment(Responses.REQUEST_ID) == null) {
            String id = RequestIds.next();
            exchange.putAttachment(Responses.REQUEST_ID, id);
            exchange.getResponseHeaders().put(Responses.X_REQUEST_ID, id);
        }
        run(exchange, () -> next.handleRequest(exchange));
    }

    /** Runs {@code body}, mapping any exception it throws to an error response. */
    static void run(HttpServerExchange exchange, ThrowingRunnable body) {
        String id = Responses.requestId(exchange);
        // Runs nest (a body read, then the hand-off, inside the first run on the IO thread): an
        // inner run leaves the id in place for the outer one's logs, and puts nothing new.
        String outer = MDC.get(MDC_KEY);
        if (!id.equals(outer)) {
            MDC.put(MDC_KEY, id);
        }
        try {
            body.run();
        } catch (KilnException e) {
            Responses.error(exchange, e.code(), e.getMessage());
        } catch (Exception e) {
            log.error(
                    "unexpected failure handling {} {}",
                    exchange.getRequestMethod(),
                    exchange.getRequestPath(),
                    e);
            Responses.error(exchange, ErrorCode.INTERNAL, "internal error; request id " + id);
        } finally {
            if (outer == null) {
                MDC.remove(MDC_KEY);
            } else if (!id.equals(outer)) {
                MDC.put(MDC_KEY, outer);
            }
        }
    }

    /**
     * Runs {@code body} on a worker thread, as {@link #run} does: for work that blocks (an fsync, a
     * lock), which must not hold the IO thread.
     */
    static void dispatch(HttpServerExchange exchange, ThrowingRunnable body) {
        exchange.dispatch(() -> run(exchange, body));
    }

    @FunctionalInterface
    interface ThrowingRunnable {
        void run() throws Exception;
    }
}
