package dev.kiln.host.http;

import dev.kiln.host.invoke.Invoker;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;

/** {@code POST /api/v1/services/{s}/functions/{f}/invoke}: event bytes in, result bytes out. */
final class InvokeHandler implements HttpHandler {
    private final Invoker invoker;
    private final long maxPayloadBytes;

    InvokeHandler(Invoker invoker, long maxPayloadBytes) {
        this.invoker = invoker;
        this.maxPayloadBytes = maxPayloadBytes;
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) {
        String service = PathParams.get(exchange, "service");
        String function = PathParams.get(exchange, "function");
        InvocationDispatch.readAndDispatch(
                exchange, invoker, maxPayloadBytes, service, function, null);
    }
}
