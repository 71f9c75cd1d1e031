package dev.kiln.host.http;

import dev.kiln.host.cluster.Overflow;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.events.Events;
import dev.kiln.host.invoke.Invoker;
import dev.kiln.host.observability.TraceContext;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HttpString;
import io.undertow.util.SameThreadExecutor;
import java.util.Map;

/**
 * {@code POST /api/v1/services/{s}/functions/{f}/invoke}: event bytes in, result bytes out; with
 * {@code X-Kiln-Invocation-Type: async}, 202 once the event is durably queued.
 */
final class InvokeHandler implements HttpHandler {
    static final HttpString X_INVOCATION_TYPE = new HttpString("X-Kiln-Invocation-Type");

    private final Invoker invoker;
    private final Overflow overflow;
    private final Events events;
    private final BeforeBody before;
    private final long maxPayloadBytes;

    /**
     * @param overflow where calls refused here for capacity go, {@code null} on one node
     */
    InvokeHandler(
            Invoker invoker,
            Overflow overflow,
            Events events,
            BeforeBody before,
            long maxPayloadBytes) {
        this.invoker = invoker;
        this.overflow = overflow;
        this.events = events;
        this.before = before;
        this.maxPayloadBytes = maxPayloadBytes;
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) {
        String service = PathParams.get(exchange, "service");
        String function = PathParams.get(exchange, "function");
        String type = exchange.getRequestHeaders().getFirst(X_INVOCATION_TYPE);
        String qualifier = qualifier(exchange);
        if (type == null || type.equalsIgnoreCase("sync")) {
            InvocationDispatch.readAndDispatch(
                    exchange,
                    invoker,
                    overflow,
                    before,
                    maxPayloadBytes,
                    service,
                    function,
                    qualifier,
                    null);
        } else if (type.equalsIgnoreCase("async")) {
            invokeAsync(exchange, service, function, qualifier);
        } else {
            throw new KilnException(
                    ErrorCode.BAD_REQUEST, "X-Kiln-Invocation-Type must be sync or async");
        }
    }

    /** The {@code ?qualifier=} of the request, or null (LATEST). */
    static String qualifier(HttpServerExchange exchange) {
        return QueryParams.once(exchange, "qualifier");
    }

    private void invokeAsync(
            HttpServerExchange exchange, String service, String function, String qualifier) {
        TraceContext trace =
                RequestTracing.begin(
                        exchange,
                        invoker.tracing(),
                        "POST /api/v1/services/{service}/functions/{function}/invoke");
        before.check(exchange, service, function);
        // Resolved now, so a qualifier that selects nothing is refused at once; the event keeps
        // the qualifier and runs whatever it selects when it runs.
        events.checkQualifier(service, function, qualifier);
        long cap = Math.min(maxPayloadBytes, events.limits().maxEventBytes());
        Bodies.read(
                exchange,
                cap,
                // Marks the exchange as handed off: it is answered when the queue has committed.
                (ex, body) ->
                        ex.dispatch(
                                SameThreadExecutor.INSTANCE,
                                () ->
                                        ErrorBoundary.run(
                                                ex,
                                                () ->
                                                        enqueue(
                                                                ex, service, function, qualifier,
                                                                body, trace))));
    }

    // whenComplete's own future is dropped: ErrorBoundary answers every failure, the callback's
    // too.
    @SuppressWarnings("FutureReturnValueIgnored")
    private void enqueue(
            HttpServerExchange ex,
            String service,
            String function,
            String qualifier,
            byte[] body,
            TraceContext trace) {
        String requestId = Responses.requestId(ex);
        events.invokeAsync(requestId, service, function, qualifier, body, trace)
                .whenComplete(
                        (stored, failure) ->
                                ErrorBoundary.run(ex, () -> accepted(ex, requestId, failure)));
    }

    /** 202 with the request id, or the error the queue gave (such as {@code overloaded}). */
    static void accepted(HttpServerExchange ex, String requestId, Throwable failure)
            throws Exception {
        Futures.rethrow(failure);
        Responses.json(ex, 202, Map.of("requestId", requestId, "status", "queued"));
    }
}
