package dev.kiln.host.http;

import dev.kiln.abi.Header;
import dev.kiln.host.core.InvocationOutcome;
import dev.kiln.host.invoke.InvocationResult;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import java.nio.ByteBuffer;

/** Writes an invocation's result: the X-Kiln-* headers, then the body or the error envelope. */
final class InvocationResponses {
    static final HttpString X_DURATION = new HttpString("X-Kiln-Duration-Us");
    static final HttpString X_FUEL = new HttpString("X-Kiln-Fuel");
    static final HttpString X_START = new HttpString("X-Kiln-Start");
    static final HttpString X_VERSION = new HttpString("X-Kiln-Version");

    /** The cluster node that ran it, or refused it (docs/adr/0056); absent on one node. */
    static final HttpString X_NODE = new HttpString("X-Kiln-Node");

    private static final String DEFAULT_CONTENT_TYPE = "application/octet-stream";

    private InvocationResponses() {}

    /**
     * @param applyGuestHttp whether the guest's status and headers apply (the HTTP trigger)
     */
    static void send(HttpServerExchange exchange, InvocationResult result, boolean applyGuestHttp) {
        var headers = exchange.getResponseHeaders();
        headers.put(X_DURATION, result.durationMicros());
        headers.put(X_FUEL, result.fuel());
        if (result.startKind() != null) {
            headers.put(X_START, result.startKind().wire());
        }
        if (result.version() > 0) {
            headers.put(X_VERSION, result.version());
        }
        if (result.node() != null) {
            headers.put(X_NODE, result.node());
        }
        // No pattern switch: it spins a class at its first run after a start (docs/adr/0079).
        if (result.outcome() instanceof InvocationOutcome.Ok ok) {
            if (applyGuestHttp) {
                exchange.setStatusCode(ok.status());
                for (Header h : ok.headers()) {
                    headers.add(new HttpString(h.name()), h.value());
                }
            }
            if (!headers.contains(Headers.CONTENT_TYPE)) {
                headers.put(Headers.CONTENT_TYPE, DEFAULT_CONTENT_TYPE);
            }
            if (Methods.HEAD.equals(exchange.getRequestMethod())) {
                headers.put(Headers.CONTENT_LENGTH, ok.body().length);
                exchange.endExchange();
            } else {
                exchange.getResponseSender().send(ByteBuffer.wrap(ok.body()));
            }
        } else {
            var failure = (InvocationOutcome.Failure) result.outcome();
            if (failure instanceof InvocationOutcome.RateLimited r) {
                headers.put(Headers.RETRY_AFTER, r.retryAfterSeconds());
            }
            Responses.error(exchange, failure.code(), failure.message());
        }
    }
}
