package dev.kiln.host.http;

import dev.kiln.abi.HttpRequestMeta;
import dev.kiln.host.core.TriggerKind;
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

    /**
     * Checks {@code before}, then reads the body (capped at {@code maxPayloadBytes}) and invokes
     * {@code service/function} with it.
     *
     * @param http request metadata for the HTTP trigger, {@code null} for invoke
     */
    static void readAndDispatch(
            HttpServerExchange exchange,
            Invoker invoker,
            BeforeBody before,
            long maxPayloadBytes,
            String service,
            String function,
            HttpRequestMeta http) {
        before.check(exchange, service, function);
        Bodies.read(
                exchange,
                maxPayloadBytes,
                (ex, body) ->
                        dispatch(
                                ex,
                                invoker,
                                new InvocationRequest(
                                        Responses.requestId(ex),
                                        service,
                                        function,
                                        (http == null ? TriggerKind.INVOKE : TriggerKind.HTTP)
                                                .wire(),
                                        body,
                                        http),
                                http != null));
    }

    private static void dispatch(
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
