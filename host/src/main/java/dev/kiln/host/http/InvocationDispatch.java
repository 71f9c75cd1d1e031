package dev.kiln.host.http;

import dev.kiln.host.invoke.InvocationRequest;
import dev.kiln.host.invoke.Invoker;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.SameThreadExecutor;

/**
 * Hands a fully read request to the {@link Invoker} and answers when it is done. The IO thread only
 * queues the work: guest code never runs on it.
 */
final class InvocationDispatch {
    private InvocationDispatch() {}

    static void dispatch(
            HttpServerExchange exchange,
            Invoker invoker,
            InvocationRequest request,
            boolean applyGuestHttp) {
        // Marks the exchange as handed off, so Undertow does not end it when this handler returns.
        exchange.dispatch(
                SameThreadExecutor.INSTANCE,
                () ->
                        ErrorBoundary.run(
                                exchange,
                                () ->
                                        invoker.submit(
                                                request,
                                                result ->
                                                        ErrorBoundary.run(
                                                                exchange,
                                                                () ->
                                                                        InvocationResponses.send(
                                                                                exchange,
                                                                                result,
                                                                                applyGuestHttp)))));
    }
}
