package dev.kiln.host.http;

import dev.kiln.host.observability.TraceContext;
import dev.kiln.host.observability.Tracing;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderMap;
import io.undertow.util.HttpString;

/**
 * W3C Trace Context at the HTTP edge of an invocation (docs/adr/0047): reads {@code traceparent}
 * and {@code tracestate}, makes the request's server span when tracing is on (a new trace when the
 * request brought none, or a malformed one), and answers {@code X-Kiln-Trace-Id}.
 */
final class RequestTracing {
    static final HttpString TRACEPARENT = new HttpString("traceparent");
    static final HttpString TRACESTATE = new HttpString("tracestate");
    static final HttpString X_TRACE_ID = new HttpString("X-Kiln-Trace-Id");

    private RequestTracing() {}

    /**
     * The position an invocation of this request continues: the server span's when tracing is on,
     * else the incoming one, else {@code null} (tracing off and no header: nothing is allocated).
     *
     * @param route the span's name, the route's template (e.g. {@code POST /fn/{service}/…})
     */
    static TraceContext begin(HttpServerExchange exchange, Tracing tracing, String route) {
        HeaderMap headers = exchange.getRequestHeaders();
        String traceparent = headers.getFirst(TRACEPARENT);
        TraceContext incoming =
                traceparent == null || headers.count(TRACEPARENT) > 1
                        ? null // W3C: several traceparent fields are as good as none
                        : TraceContext.parse(traceparent, joined(headers));
        TraceContext position = incoming;
        if (tracing.on()) {
            Tracing.Span span =
                    tracing.start(route, Tracing.Kind.SERVER, incoming, true, System.nanoTime());
            // Few attributes: the name is the route, the invoke span names the function.
            span.attribute("http.request.method", exchange.getRequestMethod().toString())
                    .attribute("kiln.request_id", Responses.requestId(exchange));
            exchange.addExchangeCompleteListener(
                    (ex, next) -> {
                        int status = ex.getStatusCode();
                        span.attribute("http.response.status_code", status);
                        if (status >= 500) {
                            span.failed(String.valueOf(status));
                        }
                        span.end(System.nanoTime());
                        next.proceed();
                    });
            position = span.context();
        }
        if (position != null) {
            exchange.getResponseHeaders().put(X_TRACE_ID, position.traceId());
        }
        return position;
    }

    /** A span name's method: the standard ones, else {@code HTTP} (span names stay few). */
    static String method(String method) {
        return switch (method) {
            case "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE" -> method;
            default -> "HTTP";
        };
    }

    /** The {@code tracestate} fields joined as one list (W3C allows several), or null. */
    private static String joined(HeaderMap headers) {
        var values = headers.get(TRACESTATE);
        if (values == null || values.isEmpty()) {
            return null;
        }
        return values.size() == 1 ? values.getFirst() : String.join(",", values);
    }
}
