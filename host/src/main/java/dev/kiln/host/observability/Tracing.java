package dev.kiln.host.observability;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.TraceStateBuilder;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * Spans of requests and invocations, exported by OTLP/HTTP (docs/adr/0047), or nothing at all:
 * {@link #OFF} holds no OpenTelemetry object and every caller checks {@link #on()} before it
 * allocates anything for a span.
 *
 * <p>Spans are made after the fact where that is cheaper: a caller notes {@link System#nanoTime()}
 * at the edges of a phase and hands both to {@link #start} and {@link Span#end}; this class turns
 * them into the epoch times OTLP wants against one base taken at start, so all of a trace's spans
 * share one clock.
 */
public final class Tracing implements AutoCloseable {
    /** Tracing off: no spans, nothing exported. */
    public static final Tracing OFF = new Tracing(null, null);

    /** The kind of a span, as OpenTelemetry names it. */
    public enum Kind {
        SERVER,
        INTERNAL,
        CLIENT
    }

    private final SdkTracerProvider provider;
    private final Tracer tracer;
    private final long epochBaseNanos;
    private final long nanoBase;

    private Tracing(SdkTracerProvider provider, Tracer tracer) {
        this.provider = provider;
        this.tracer = tracer;
        Instant now = Instant.now();
        this.nanoBase = System.nanoTime();
        this.epochBaseNanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    /** Tracing as {@code settings} say: {@link #OFF}, or exporting to their OTLP endpoint. */
    public static Tracing start(TracingSettings settings) {
        if (!settings.on()) {
            return OFF;
        }
        var exporter =
                OtlpHttpSpanExporter.builder()
                        .setEndpoint(settings.tracesUrl())
                        .setTimeout(Duration.ofSeconds(10))
                        .build();
        var provider =
                SdkTracerProvider.builder()
                        .setResource(
                                Resource.getDefault()
                                        .merge(
                                                Resource.create(
                                                        Attributes.of(
                                                                AttributeKey.stringKey(
                                                                        "service.name"),
                                                                settings.serviceName()))))
                        // An incoming traceparent's sampled flag decides; of new traces, the
                        // first few each second and a share of the rest.
                        .setSampler(
                                Sampler.parentBased(
                                        new NewTraceSampler(
                                                settings.samplesPerSecond(),
                                                settings.sampleRatio(),
                                                System::nanoTime)))
                        .addSpanProcessor(
                                BatchSpanProcessor.builder(exporter)
                                        .setScheduleDelay(settings.exportInterval())
                                        .setMaxQueueSize(8192)
                                        .setMaxExportBatchSize(512)
                                        .build())
                        .build();
        return new Tracing(provider, provider.get("dev.kiln.host"));
    }

    /** Whether spans are made. */
    public boolean on() {
        return tracer != null;
    }

    /**
     * Starts a span now-or-earlier; {@code null} when tracing is off.
     *
     * @param parent the span's parent, or {@code null} for a new trace
     * @param remoteParent whether the parent came from another process (an incoming header)
     * @param startNanoTime its start, from {@link System#nanoTime()}
     */
    public Span start(
            String name, Kind kind, TraceContext parent, boolean remoteParent, long startNanoTime) {
        if (tracer == null) {
            return null;
        }
        return start(
                name,
                kind,
                parent == null ? Context.root() : context(parent, remoteParent),
                parent == null ? null : parent.traceState(),
                startNanoTime);
    }

    private Span start(
            String name, Kind kind, Context parent, String traceState, long startNanoTime) {
        var span =
                tracer.spanBuilder(name)
                        .setSpanKind(kind(kind))
                        .setStartTimestamp(epochNanos(startNanoTime), TimeUnit.NANOSECONDS)
                        .setParent(parent)
                        .startSpan();
        return new Span(span, traceState);
    }

    private long epochNanos(long nanoTime) {
        return epochBaseNanos + (nanoTime - nanoBase);
    }

    private static Context context(TraceContext p, boolean remote) {
        TraceFlags flags = p.sampled() ? TraceFlags.getSampled() : TraceFlags.getDefault();
        TraceState state = traceState(p.traceState());
        SpanContext sc =
                remote
                        ? SpanContext.createFromRemoteParent(p.traceId(), p.spanId(), flags, state)
                        : SpanContext.create(p.traceId(), p.spanId(), flags, state);
        return Context.root().with(io.opentelemetry.api.trace.Span.wrap(sc));
    }

    /** W3C tracestate list members; OpenTelemetry's builder skips members it finds invalid. */
    private static TraceState traceState(String header) {
        if (header == null) {
            return TraceState.getDefault();
        }
        TraceStateBuilder b = TraceState.builder();
        String[] members = header.split(",", 33);
        // Members are listed newest first; the builder puts each new one in front.
        for (int i = Math.min(members.length, 32) - 1; i >= 0; i--) {
            String m = members[i].strip();
            int eq = m.indexOf('=');
            if (eq > 0) {
                b.put(m.substring(0, eq), m.substring(eq + 1));
            }
        }
        return b.build();
    }

    private static SpanKind kind(Kind k) {
        return switch (k) {
            case SERVER -> SpanKind.SERVER;
            case INTERNAL -> SpanKind.INTERNAL;
            case CLIENT -> SpanKind.CLIENT;
        };
    }

    /** Sends the spans still queued, then stops the exporter. */
    @Override
    public void close() {
        if (provider != null) {
            provider.shutdown().join(10, TimeUnit.SECONDS);
        }
    }

    /** A started span: its position (for children and headers), attributes, its end. */
    public final class Span {
        private final io.opentelemetry.api.trace.Span span;
        private final String traceState;
        private TraceContext context;

        private Span(io.opentelemetry.api.trace.Span span, String traceState) {
            this.span = span;
            this.traceState = traceState;
        }

        /** This span's position: its trace, and itself as the parent of what comes next. */
        public TraceContext context() {
            if (context == null) { // made on demand: most spans are never asked
                SpanContext sc = span.getSpanContext();
                context =
                        new TraceContext(
                                sc.getTraceId(), sc.getSpanId(), sc.isSampled(), traceState);
            }
            return context;
        }

        /** A child of this span from {@code startNanoTime}, of kind {@link Kind#INTERNAL}. */
        public Span child(String name, long startNanoTime) {
            return start(name, Kind.INTERNAL, Context.root().with(span), traceState, startNanoTime);
        }

        /** A finished child of this span, from {@code startNanoTime} to {@code endNanoTime}. */
        public void child(String name, long startNanoTime, long endNanoTime) {
            child(name, startNanoTime).end(endNanoTime);
        }

        public Span attribute(String key, String value) {
            if (value != null) {
                span.setAttribute(key, value);
            }
            return this;
        }

        public Span attribute(String key, long value) {
            span.setAttribute(key, value);
            return this;
        }

        /** Marks the span failed, with the error code as its description. */
        public Span failed(String errorCode) {
            span.setStatus(StatusCode.ERROR, errorCode);
            return this;
        }

        public void end(long endNanoTime) {
            span.end(epochNanos(endNanoTime), TimeUnit.NANOSECONDS);
        }
    }
}
