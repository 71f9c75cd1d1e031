package dev.kiln.host.http;

import dev.kiln.abi.HttpRequestMeta;
import dev.kiln.host.cluster.Overflow;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.core.TriggerKind;
import dev.kiln.host.invoke.InvocationRequest;
import dev.kiln.host.invoke.InvocationResult;
import dev.kiln.host.invoke.Invoker;
import dev.kiln.host.observability.TraceContext;
import dev.kiln.host.registry.Qualifier;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HttpString;
import io.undertow.util.SameThreadExecutor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * Hands a fully read request to the {@link Invoker} and answers when it is done. The IO thread only
 * queues the work: guest code never runs on it.
 */
final class InvocationDispatch {
    private InvocationDispatch() {}

    /** The header that pins one of the versions a qualifier runs (docs/adr/0037). */
    static final HttpString X_VERSION_PIN = new HttpString("X-Kiln-Version-Pin");

    /**
     * Checks {@code before}, then reads the body (capped at {@code maxPayloadBytes}) and invokes
     * {@code service/function} with it.
     *
     * @param overflow where a call refused here for capacity goes (cluster mode, docs/adr/0056),
     *     {@code null} on one node
     * @param http request metadata for the HTTP trigger, {@code null} for invoke
     * @param qualifier LATEST, a version number or an alias; {@code null} for LATEST
     */
    static void readAndDispatch(
            HttpServerExchange exchange,
            Invoker invoker,
            Overflow overflow,
            BeforeBody before,
            long maxPayloadBytes,
            String service,
            String function,
            String qualifier,
            HttpRequestMeta http) {
        long arrivedNanos = System.nanoTime();
        TraceContext trace =
                RequestTracing.begin(
                        exchange,
                        invoker.tracing(),
                        http == null
                                ? "POST /api/v1/services/{service}/functions/{function}/invoke"
                                : RequestTracing.method(http.method())
                                        + " /fn/{service}/{function}");
        before.check(exchange, service, function);
        // Malformed selections are refused before the body is read.
        Qualifier.parse(qualifier);
        int pin = pin(exchange);
        Bodies.read(
                exchange,
                maxPayloadBytes,
                (ex, body) ->
                        dispatch(
                                ex,
                                invoker,
                                overflow,
                                arrivedNanos,
                                new InvocationRequest(
                                        Responses.requestId(ex),
                                        service,
                                        function,
                                        (http == null ? TriggerKind.INVOKE : TriggerKind.HTTP)
                                                .wire(),
                                        body,
                                        http,
                                        0,
                                        qualifier,
                                        pin,
                                        keyId(ex),
                                        trace),
                                http != null));
    }

    /** The id of the key that authenticated the request, null when none did (metered anonymous). */
    private static String keyId(HttpServerExchange exchange) {
        var who = exchange.getAttachment(AccessControl.PRINCIPAL);
        return who == null ? null : who.keyId();
    }

    /** The {@code X-Kiln-Version-Pin} header's version number, or 0 when absent. */
    static int pin(HttpServerExchange exchange) {
        String text = exchange.getRequestHeaders().getFirst(X_VERSION_PIN);
        if (text == null) {
            return 0;
        }
        if (text.isEmpty()
                || text.length() > 9
                || !text.chars().allMatch(c -> c >= '0' && c <= '9')
                || Integer.parseInt(text) < 1) {
            throw new KilnException(
                    ErrorCode.BAD_REQUEST, "X-Kiln-Version-Pin must be a version number from 1");
        }
        return Integer.parseInt(text);
    }

    private static void dispatch(
            HttpServerExchange exchange,
            Invoker invoker,
            Overflow overflow,
            long arrivedNanos,
            InvocationRequest request,
            boolean applyGuestHttp) {
        Consumer<InvocationResult> answer =
                result ->
                        onIoThread(
                                exchange,
                                () ->
                                        ErrorBoundary.run(
                                                exchange,
                                                () ->
                                                        InvocationResponses.send(
                                                                exchange, result, applyGuestHttp)));
        Consumer<InvocationResult> answerOrForward =
                overflow == null ? answer : overflow.answerOrForward(request, arrivedNanos, answer);
        // Marks the exchange as handed off, so Undertow does not end it when this handler returns.
        exchange.dispatch(
                SameThreadExecutor.INSTANCE,
                () -> ErrorBoundary.run(exchange, () -> invoker.submit(request, answerOrForward)));
    }

    /**
     * Runs {@code send} on the exchange's IO thread (docs/adr/0070). Sent from a worker, the
     * response ends the exchange there, and Undertow's hand-back of the connection to its IO thread
     * then races the client's next request: the IO thread spins on the connection's state until the
     * worker is scheduled again, ~6 % of the host's CPU on two cores under load.
     */
    private static void onIoThread(HttpServerExchange exchange, Runnable send) {
        if (exchange.isInIoThread()) {
            send.run();
            return;
        }
        try {
            exchange.getIoThread().execute(send);
        } catch (RejectedExecutionException e) {
            send.run(); // the server is stopping: answer from here rather than not at all
        }
    }
}
