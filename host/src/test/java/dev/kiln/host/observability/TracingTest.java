package dev.kiln.host.observability;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.kiln.host.config.KilnConfig;
import dev.kiln.host.testing.HttpProbe;
import dev.kiln.host.testing.OtlpReceiver;
import dev.kiln.host.testing.OtlpReceiver.ReceivedSpan;
import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * W3C Trace Context and OTLP export end to end (docs/adr/0047): a real host exporting to a loopback
 * OTLP receiver that decodes the protobuf, guests calling a loopback server.
 */
class TracingTest {
    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String PARENT = "00f067aa0ba902b7";
    private static final String TRACEPARENT = "00-" + TRACE + "-" + PARENT + "-01";
    private static final String INVOKE_ROUTE =
            "POST /api/v1/services/{service}/functions/{function}/invoke";

    @TempDir Path data;
    TestHost kiln;
    OtlpReceiver otlp;
    HttpServer origin;
    final ConcurrentLinkedQueue<String> originTraceparents = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<String> originTracestates = new ConcurrentLinkedQueue<>();

    @AfterEach
    void stop() {
        if (kiln != null) {
            kiln.close();
        }
        if (otlp != null) {
            otlp.close();
        }
        if (origin != null) {
            origin.stop(0);
        }
    }

    private void startTraced() {
        otlp = OtlpReceiver.start();
        start(
                b ->
                        b.tracing(
                                new TracingSettings(
                                        URI.create(otlp.endpoint()),
                                        "kiln-under-test",
                                        Duration.ofMillis(50))));
    }

    private void start(Consumer<KilnConfig.Builder> tweak) {
        kiln = TestHost.start(data, tweak);
        assertThat(kiln.deploy("t", "echo", Wat.fixture("echo")).statusCode()).isEqualTo(201);
    }

    private HttpResponse<byte[]> invoke(String fn, byte[] body, String... headers) {
        var r = kiln.admin("/api/v1/services/t/functions/" + fn + "/invoke");
        if (headers.length > 0) {
            r.headers(headers);
        }
        return kiln.send(r.POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
    }

    private String traceIdHeader(HttpResponse<byte[]> r) {
        return r.headers().firstValue("X-Kiln-Trace-Id").orElse(null);
    }

    private String recordTraceId(String fn, HttpResponse<byte[]> r) {
        String id = r.headers().firstValue("X-Kiln-Request-Id").orElseThrow();
        String path = "/api/v1/services/t/functions/" + fn + "/invocations/" + id;
        TestHost.await(
                "the record", Duration.ofSeconds(10), () -> kiln.get(path).statusCode() == 200);
        var node = TestHost.json(kiln.get(path)).get("traceId");
        return node.isNull() ? null : node.asText();
    }

    private ReceivedSpan child(ReceivedSpan parent, String name) {
        return otlp.await(
                name + " under " + parent.name(),
                s ->
                        s.name().equals(name)
                                && s.traceId().equals(parent.traceId())
                                && s.parentSpanId().equals(parent.spanId()));
    }

    @Test
    void anInvocationsSpansContinueTheIncomingTraceparentAndReachTheCollector() {
        startTraced();
        var r =
                invoke(
                        "echo",
                        "hi".getBytes(StandardCharsets.UTF_8),
                        "traceparent",
                        TRACEPARENT,
                        "tracestate",
                        "vendor=abc");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(traceIdHeader(r)).isEqualTo(TRACE);
        assertThat(recordTraceId("echo", r)).isEqualTo(TRACE);

        ReceivedSpan server =
                otlp.await(
                        "the request span",
                        s -> s.name().equals(INVOKE_ROUTE) && s.traceId().equals(TRACE));
        assertThat(server.parentSpanId()).isEqualTo(PARENT);
        assertThat(server.kind()).isEqualTo("SPAN_KIND_SERVER");
        assertThat(server.attributes()).containsEntry("http.response.status_code", "200");
        assertThat(server.resource()).containsEntry("service.name", "kiln-under-test");

        ReceivedSpan invocation = child(server, "invoke t/echo");
        assertThat(invocation.attributes())
                .containsEntry("kiln.outcome", "ok")
                .containsEntry(
                        "faas.invocation_id",
                        r.headers().firstValue("X-Kiln-Request-Id").orElseThrow());
        ReceivedSpan queued = child(invocation, "queue wait");
        ReceivedSpan acquire = child(invocation, "instance acquire");
        ReceivedSpan run = child(invocation, "guest run");
        ReceivedSpan write = child(invocation, "record write");
        // The phases follow one another inside the invocation's span.
        assertThat(queued.startNanos()).isGreaterThanOrEqualTo(invocation.startNanos());
        assertThat(acquire.startNanos()).isGreaterThanOrEqualTo(queued.endNanos());
        assertThat(run.startNanos()).isGreaterThanOrEqualTo(acquire.endNanos());
        assertThat(run.endNanos()).isLessThanOrEqualTo(invocation.endNanos());
        assertThat(write.endNanos()).isGreaterThanOrEqualTo(write.startNanos());
        assertThat(otlp.contentTypes()).allMatch(t -> t.equals("application/x-protobuf"));
    }

    @Test
    void malformedTraceparentsAreIgnoredANewTraceStartsAndTheHostStillServes() {
        startTraced();
        List<String> hostile =
                List.of(
                        "garbage",
                        "00-" + "0".repeat(32) + "-" + PARENT + "-01", // all-zero trace id
                        "00-" + TRACE + "-" + "0".repeat(16) + "-01", // all-zero parent
                        "ff-" + TRACE + "-" + PARENT + "-01", // forbidden version
                        "00-"
                                + TRACE.toUpperCase(java.util.Locale.ROOT)
                                + "-"
                                + PARENT
                                + "-01", // upper case
                        TRACEPARENT + "-extra", // version 00 has nothing after the flags
                        "00-" + TRACE + "-" + PARENT + "-0g",
                        "x".repeat(4000));
        for (String bad : hostile) {
            var r = invoke("echo", "x".getBytes(StandardCharsets.UTF_8), "traceparent", bad);
            assertThat(r.statusCode()).as(bad).isEqualTo(200);
            String traceId = traceIdHeader(r);
            assertThat(traceId).as(bad).matches("[0-9a-f]{32}").isNotEqualTo(TRACE);
            ReceivedSpan server =
                    otlp.await(
                            "a new trace for " + bad,
                            s -> s.name().equals(INVOKE_ROUTE) && s.traceId().equals(traceId));
            assertThat(server.parentSpanId()).as(bad).isEmpty();
        }
        // Two traceparent fields are as good as none (W3C).
        var twice =
                invoke("echo", new byte[0], "traceparent", TRACEPARENT, "traceparent", TRACEPARENT);
        assertThat(twice.statusCode()).isEqualTo(200);
        assertThat(traceIdHeader(twice)).isNotEqualTo(TRACE);
        // And the host goes on serving a well-formed one.
        var ok =
                invoke(
                        "echo",
                        "after".getBytes(StandardCharsets.UTF_8),
                        "traceparent",
                        TRACEPARENT);
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(new String(ok.body(), StandardCharsets.UTF_8)).isEqualTo("after");
        assertThat(traceIdHeader(ok)).isEqualTo(TRACE);
    }

    @Test
    void anAsyncEventsAttemptContinuesTheTraceOfTheRequestThatQueuedIt() {
        startTraced();
        var r =
                kiln.send(
                        kiln.admin("/api/v1/services/t/functions/echo/invoke")
                                .header("X-Kiln-Invocation-Type", "async")
                                .header("traceparent", TRACEPARENT)
                                .POST(HttpRequest.BodyPublishers.ofString("later"))
                                .build());
        assertThat(r.statusCode()).isEqualTo(202);
        assertThat(traceIdHeader(r)).isEqualTo(TRACE);
        ReceivedSpan server =
                otlp.await(
                        "the queuing request's span",
                        s -> s.name().equals(INVOKE_ROUTE) && s.traceId().equals(TRACE));
        assertThat(server.parentSpanId()).isEqualTo(PARENT);
        assertThat(server.attributes()).containsEntry("http.response.status_code", "202");
        ReceivedSpan attempt = child(server, "invoke t/echo");
        assertThat(attempt.attributes()).containsEntry("kiln.attempt", "1");
        child(attempt, "guest run");
        assertThat(recordTraceId("echo", r)).isEqualTo(TRACE);
    }

    @Test
    void theHttpTriggerContinuesTheTraceToo() {
        startTraced();
        var r =
                kiln.send(
                        kiln.request("/fn/t/echo/some/path")
                                .header("traceparent", TRACEPARENT)
                                .POST(HttpRequest.BodyPublishers.ofString("web"))
                                .build());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(traceIdHeader(r)).isEqualTo(TRACE);
        ReceivedSpan server =
                otlp.await(
                        "the trigger's span",
                        s ->
                                s.name().equals("POST /fn/{service}/{function}")
                                        && s.traceId().equals(TRACE));
        assertThat(server.parentSpanId()).isEqualTo(PARENT);
        child(server, "invoke t/echo");
    }

    @Test
    void aGuestsOutboundCallCarriesTheTraceWithItsOwnClientSpan() throws Exception {
        startTraced();
        startOrigin();
        deployProbe();
        var r = invoke("probe", probePayload(), "traceparent", TRACEPARENT, "tracestate", "v=1");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(HttpProbe.status(r.body())).as("the origin's status").isEqualTo(204);
        String sent = originTraceparents.peek();
        assertThat(sent).matches("00-" + TRACE + "-[0-9a-f]{16}-01");
        assertThat(originTracestates.peek()).isEqualTo("v=1");
        String clientSpanId = sent.substring(36, 52);
        ReceivedSpan client =
                otlp.await("the outbound call's span", s -> s.spanId().equals(clientSpanId));
        assertThat(client.kind()).isEqualTo("SPAN_KIND_CLIENT");
        assertThat(client.attributes()).containsEntry("http.response.status_code", "204");
        ReceivedSpan invocation =
                otlp.await("the invocation span", s -> s.spanId().equals(client.parentSpanId()));
        assertThat(invocation.name()).isEqualTo("invoke t/probe");
    }

    @Test
    void withTracingOffAnIncomingTraceIsStillRecordedAndPassedOnAndNoneIsMadeUp() throws Exception {
        start(b -> {});
        startOrigin();
        deployProbe();
        var traced = invoke("probe", probePayload(), "traceparent", TRACEPARENT);
        assertThat(traced.statusCode()).isEqualTo(200);
        assertThat(traceIdHeader(traced)).isEqualTo(TRACE);
        assertThat(recordTraceId("probe", traced)).isEqualTo(TRACE);
        // Nothing records spans, so the caller's position passes on unchanged.
        assertThat(originTraceparents.poll()).isEqualTo(TRACEPARENT);

        var plain = invoke("probe", probePayload());
        assertThat(plain.statusCode()).isEqualTo(200);
        assertThat(traceIdHeader(plain)).isNull();
        assertThat(recordTraceId("probe", plain)).isNull();
        assertThat(originTraceparents.poll()).isEqualTo("(none)");
    }

    private void startOrigin() throws Exception {
        origin = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        origin.createContext(
                "/",
                ex -> {
                    originTraceparents.add(
                            String.valueOf(
                                    java.util.Objects.requireNonNullElse(
                                            ex.getRequestHeaders().getFirst("traceparent"),
                                            "(none)")));
                    String state = ex.getRequestHeaders().getFirst("tracestate");
                    if (state != null) {
                        originTracestates.add(state);
                    }
                    ex.sendResponseHeaders(204, -1);
                    ex.close();
                });
        origin.start();
    }

    private String originUrl() {
        return "http://127.0.0.1:" + origin.getAddress().getPort();
    }

    private void deployProbe() {
        assertThat(kiln.deploy("t", "probe", Wat.fixture("http_probe")).statusCode())
                .isEqualTo(201);
        var p = kiln.patch("t", "probe", "{\"allowedOutboundHosts\":[\"" + originUrl() + "\"]}");
        assertThat(p.statusCode()).as(TestHost.text(p)).isEqualTo(200);
    }

    /** http_probe's payload: one GET of the origin. */
    private byte[] probePayload() {
        return HttpProbe.get(originUrl() + "/call");
    }
}
