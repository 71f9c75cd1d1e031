package dev.kiln.host.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.abi.Header;
import dev.kiln.abi.HttpRequestMeta;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.InvocationOutcome;
import dev.kiln.host.invoke.InvocationRequest;
import dev.kiln.host.invoke.InvocationResult;
import dev.kiln.host.observability.TraceContext;
import dev.kiln.host.pool.StartKind;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A forwarded invocation and its answer as NATS message bodies (docs/adr/0056): a 4-byte length, a
 * JSON document of everything but the bytes, then the bytes (the payload, or the guest's body).
 * JSON rather than NATS headers: header values must be printable ASCII, HTTP headers need not be.
 */
final class ForwardMessages {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ForwardMessages() {}

    /** A request forwarded by {@code from} with {@code remainingMs} of its budget left. */
    static byte[] request(InvocationRequest r, String from, long remainingMs) {
        ObjectNode doc = JSON.createObjectNode();
        doc.put("requestId", r.requestId())
                .put("service", r.service())
                .put("function", r.function())
                .put("trigger", r.trigger())
                .put("qualifier", r.qualifier())
                .put("pin", r.pin())
                .put("keyId", r.keyId())
                .put("from", from)
                .put("remainingMs", remainingMs);
        if (r.trace() != null) {
            doc.put("traceparent", r.trace().traceparent())
                    .put("tracestate", r.trace().traceState());
        }
        if (r.http() != null) {
            HttpRequestMeta h = r.http();
            doc.putObject("http")
                    .put("method", h.method())
                    .put("path", h.path())
                    .put("query", h.query())
                    .put("protocol", h.protocol())
                    .put("remoteAddress", h.remoteAddress())
                    .set("headers", headers(h.headers()));
        }
        return frame(doc, r.payload());
    }

    /** The request a forwarded message carries; its deadline counts from {@code receivedNanos}. */
    static InvocationRequest request(byte[] message, long receivedNanos) throws IOException {
        ByteBuffer in = ByteBuffer.wrap(message);
        JsonNode doc = document(message, in);
        byte[] payload = rest(in);
        JsonNode h = doc.path("http");
        HttpRequestMeta http =
                h.isMissingNode()
                        ? null
                        : new HttpRequestMeta(
                                h.path("method").asText(),
                                h.path("path").asText(),
                                h.path("query").asText(),
                                headers(h.path("headers")),
                                h.path("protocol").asText(),
                                h.path("remoteAddress").asText());
        TraceContext trace =
                doc.hasNonNull("traceparent")
                        ? TraceContext.parse(
                                doc.path("traceparent").asText(), text(doc, "tracestate"))
                        : null;
        long remainingMs = doc.path("remainingMs").asLong();
        return new InvocationRequest(
                doc.path("requestId").asText(),
                doc.path("service").asText(),
                doc.path("function").asText(),
                doc.path("trigger").asText(),
                payload,
                http,
                0,
                text(doc, "qualifier"),
                doc.path("pin").asInt(),
                text(doc, "keyId"),
                trace,
                new InvocationRequest.Forwarded(
                        doc.path("from").asText(), receivedNanos + remainingMs * 1_000_000));
    }

    /** The answer of {@code node}: the result as the client would have had it from a local run. */
    static byte[] reply(InvocationResult r, String node) {
        ObjectNode doc = JSON.createObjectNode();
        doc.put("node", node)
                .put("outcome", r.outcome().wire())
                .put("version", r.version())
                .put("durationMicros", r.durationMicros())
                .put("fuel", r.fuel());
        if (r.startKind() != null) {
            doc.put("start", r.startKind().wire());
        }
        byte[] body = new byte[0];
        switch (r.outcome()) {
            case InvocationOutcome.Ok ok -> {
                doc.put("status", ok.status()).set("headers", headers(ok.headers()));
                body = ok.body();
            }
            case InvocationOutcome.Failure f -> {
                doc.put("message", f.message());
                if (f instanceof InvocationOutcome.RateLimited rl) {
                    doc.put("retryAfter", rl.retryAfterSeconds());
                }
            }
        }
        return frame(doc, body);
    }

    /** "No room here, ask another": a node that filled up since it subscribed answers this. */
    static byte[] noRoom(String node) {
        return frame(JSON.createObjectNode().put("node", node).put("noRoom", true), new byte[0]);
    }

    /** An answer: {@code null} when it is {@link #noRoom}. */
    static InvocationResult reply(byte[] message, String requestId) throws IOException {
        ByteBuffer in = ByteBuffer.wrap(message);
        JsonNode doc = document(message, in);
        if (doc.path("noRoom").asBoolean()) {
            return null;
        }
        byte[] body = rest(in);
        String wire = doc.path("outcome").asText();
        InvocationOutcome outcome =
                InvocationOutcome.OK_WIRE.equals(wire)
                        ? new InvocationOutcome.Ok(
                                doc.path("status").asInt(200), headers(doc.path("headers")), body)
                        : failure(
                                wire,
                                doc.path("message").asText(),
                                doc.path("retryAfter").asLong(1));
        return new InvocationResult(
                requestId,
                outcome,
                doc.path("version").asInt(),
                doc.path("durationMicros").asLong(),
                doc.path("fuel").asLong(),
                StartKind.fromWire(doc.path("start").asText()).orElse(null),
                doc.path("node").asText());
    }

    /** The failure an error code names, as the node that ran it had it. */
    static InvocationOutcome.Failure failure(String wire, String message, long retryAfter) {
        ErrorCode code = ErrorCode.INTERNAL;
        for (ErrorCode c : ErrorCode.values()) {
            if (c.wire().equals(wire)) {
                code = c;
            }
        }
        return switch (code) {
            case GUEST_ERROR -> new InvocationOutcome.GuestError(message);
            case GUEST_TRAP -> new InvocationOutcome.Trap(message);
            case STACK_EXHAUSTED -> new InvocationOutcome.StackExhausted(message);
            case FUEL_EXHAUSTED -> new InvocationOutcome.OutOfFuel(message);
            case TIMEOUT -> new InvocationOutcome.Timeout(message);
            case MEMORY_LIMIT -> new InvocationOutcome.MemoryLimit(message);
            case OUTPUT_LIMIT -> new InvocationOutcome.OutputLimit(message);
            case ABI_VIOLATION -> new InvocationOutcome.AbiViolation(message);
            case OVERLOADED -> new InvocationOutcome.Overloaded(message);
            case DIRECTORY_GRANT_REFUSED -> new InvocationOutcome.DirectoryGrantRefused(message);
            case RATE_LIMITED -> new InvocationOutcome.RateLimited(message, retryAfter);
            default -> new InvocationOutcome.Refused(code, message);
        };
    }

    private static byte[] frame(JsonNode doc, byte[] bytes) {
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(doc);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write a forwarded invocation", e);
        }
        return ByteBuffer.allocate(4 + json.length + bytes.length)
                .putInt(json.length)
                .put(json)
                .put(bytes)
                .array();
    }

    private static JsonNode document(byte[] message, ByteBuffer in) throws IOException {
        if (in.remaining() < 4) {
            throw new IOException("a forwarded message shorter than its length field");
        }
        int length = in.getInt();
        if (length < 0 || length > in.remaining()) {
            throw new IOException("a forwarded message with a bad length field");
        }
        JsonNode doc = JSON.readTree(message, in.position(), length);
        in.position(in.position() + length);
        return doc;
    }

    private static byte[] rest(ByteBuffer in) {
        byte[] out = new byte[in.remaining()];
        in.get(out);
        return out;
    }

    private static String text(JsonNode doc, String field) {
        return doc.hasNonNull(field) ? doc.path(field).asText() : null;
    }

    private static ArrayNode headers(List<Header> headers) {
        ArrayNode out = JSON.createArrayNode();
        headers.forEach(h -> out.addArray().add(h.name()).add(h.value()));
        return out;
    }

    private static List<Header> headers(JsonNode array) {
        List<Header> out = new ArrayList<>();
        array.forEach(pair -> out.add(new Header(pair.path(0).asText(), pair.path(1).asText())));
        return out;
    }
}
