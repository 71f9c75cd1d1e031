package dev.kiln.host.invoke;

import dev.kiln.abi.Header;
import dev.kiln.abi.OutboundException;
import dev.kiln.abi.OutboundHttp;
import dev.kiln.abi.OutboundLimits;
import dev.kiln.abi.OutboundRequest;
import dev.kiln.abi.OutboundResponse;
import dev.kiln.host.observability.TraceContext;
import dev.kiln.host.observability.Tracing;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A traced invocation's outbound HTTP (docs/adr/0047): every request carries a {@code traceparent}
 * (and the caller's {@code tracestate}). With tracing on, each call is a client span under the
 * invocation's span and the header names that span; with it off (or the trace not sampled), the
 * header passes the incoming position on unchanged. A guest that sets its own {@code traceparent}
 * keeps it.
 *
 * <p>It wraps the real outbound client, inside any recorder: a recording keeps the guest's request
 * as the guest made it, so a replay compares the same bytes.
 */
final class TracedOutbound implements OutboundHttp {
    private final OutboundHttp delegate;
    private final Tracing tracing;
    private final TraceContext parent;

    TracedOutbound(OutboundHttp delegate, Tracing tracing, TraceContext parent) {
        this.delegate = delegate;
        this.tracing = tracing;
        this.parent = parent;
    }

    /**
     * {@code outbound} carrying the invocation's trace: under {@code span} (the invocation's span,
     * null when none was made) or else at {@code trace}; {@code outbound} itself without a trace.
     */
    static OutboundHttp of(
            OutboundHttp outbound, Tracing tracing, TraceContext trace, TraceContext span) {
        if (trace == null) {
            return outbound;
        }
        return new TracedOutbound(outbound, tracing, span == null ? trace : span);
    }

    @Override
    public OutboundLimits limits() {
        return delegate.limits();
    }

    @Override
    public OutboundResponse send(OutboundRequest request) {
        for (Header h : request.headers()) {
            if (h.name().equals("traceparent")) {
                return delegate.send(request);
            }
        }
        if (!tracing.on() || !parent.sampled()) {
            return delegate.send(with(request, parent));
        }
        Tracing.Span span =
                tracing.start(
                        "HTTP " + request.method(),
                        Tracing.Kind.CLIENT,
                        parent,
                        false,
                        System.nanoTime());
        span.attribute("http.request.method", request.method());
        try {
            OutboundResponse response = delegate.send(with(request, span.context()));
            span.attribute("http.response.status_code", response.status());
            return response;
        } catch (OutboundException e) {
            span.failed(e.kind().name().toLowerCase(Locale.ROOT));
            throw e;
        } finally {
            span.end(System.nanoTime());
        }
    }

    private static OutboundRequest with(OutboundRequest request, TraceContext position) {
        List<Header> headers = new ArrayList<>(request.headers().size() + 2);
        headers.addAll(request.headers());
        headers.add(new Header("traceparent", position.traceparent()));
        if (position.traceState() != null
                && request.headers().stream().noneMatch(h -> h.name().equals("tracestate"))) {
            headers.add(new Header("tracestate", position.traceState()));
        }
        return new OutboundRequest(request.method(), request.url(), headers, request.body());
    }
}
