package dev.kiln.host.testing;

import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.function.Predicate;

/**
 * An OTLP/HTTP collector on a loopback port: accepts {@code POST /v1/traces} in protobuf, decodes
 * it with the opentelemetry-proto classes and keeps every span it got.
 */
public final class OtlpReceiver implements AutoCloseable {
    /** One received span, ids as lower-case hex ({@code ""} for no parent). */
    public record ReceivedSpan(
            String traceId,
            String spanId,
            String parentSpanId,
            String name,
            String kind,
            Map<String, String> attributes,
            Map<String, String> resource,
            long startNanos,
            long endNanos) {}

    private final HttpServer server;
    private final ConcurrentLinkedQueue<ReceivedSpan> spans = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<String> contentTypes = new ConcurrentLinkedQueue<>();
    private final java.util.concurrent.ExecutorService executor =
            Executors.newSingleThreadExecutor();

    private OtlpReceiver(HttpServer server) {
        this.server = server;
    }

    public static OtlpReceiver start() {
        try {
            HttpServer server =
                    HttpServer.create(
                            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            OtlpReceiver r = new OtlpReceiver(server);
            server.createContext(
                    "/v1/traces",
                    ex -> {
                        try (InputStream in = ex.getRequestBody()) {
                            r.contentTypes.add(
                                    String.valueOf(
                                            ex.getRequestHeaders().getFirst("Content-Type")));
                            r.take(ExportTraceServiceRequest.parseFrom(in.readAllBytes()));
                            byte[] ok =
                                    ExportTraceServiceResponse.getDefaultInstance().toByteArray();
                            ex.getResponseHeaders().add("Content-Type", "application/x-protobuf");
                            ex.sendResponseHeaders(200, ok.length == 0 ? -1 : ok.length);
                            if (ok.length > 0) {
                                ex.getResponseBody().write(ok);
                            }
                        } finally {
                            ex.close();
                        }
                    });
            server.setExecutor(r.executor);
            server.start();
            return r;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The base URL to give {@code --otlp-endpoint}. */
    public String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public List<ReceivedSpan> spans() {
        return List.copyOf(spans);
    }

    public List<String> contentTypes() {
        return List.copyOf(contentTypes);
    }

    /** Waits (bounded) for a span that {@code which} accepts and returns it. */
    public ReceivedSpan await(String what, Predicate<ReceivedSpan> which) {
        TestHost.await(what, Duration.ofSeconds(20), () -> find(which) != null);
        return find(which);
    }

    public ReceivedSpan find(Predicate<ReceivedSpan> which) {
        return spans.stream().filter(which).findFirst().orElse(null);
    }

    private void take(ExportTraceServiceRequest request) {
        HexFormat hex = HexFormat.of();
        for (ResourceSpans rs : request.getResourceSpansList()) {
            Map<String, String> resource = attributes(rs.getResource().getAttributesList());
            for (ScopeSpans ss : rs.getScopeSpansList()) {
                for (var s : ss.getSpansList()) {
                    spans.add(
                            new ReceivedSpan(
                                    hex.formatHex(s.getTraceId().toByteArray()),
                                    hex.formatHex(s.getSpanId().toByteArray()),
                                    hex.formatHex(s.getParentSpanId().toByteArray()),
                                    s.getName(),
                                    s.getKind().name(),
                                    attributes(s.getAttributesList()),
                                    resource,
                                    s.getStartTimeUnixNano(),
                                    s.getEndTimeUnixNano()));
                }
            }
        }
    }

    private static Map<String, String> attributes(List<KeyValue> list) {
        Map<String, String> out = new LinkedHashMap<>();
        for (KeyValue kv : list) {
            var v = kv.getValue();
            out.put(
                    kv.getKey(),
                    v.hasIntValue() ? Long.toString(v.getIntValue()) : v.getStringValue());
        }
        return out;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
