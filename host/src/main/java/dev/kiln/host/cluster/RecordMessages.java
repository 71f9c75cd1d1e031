package dev.kiln.host.cluster;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.abi.GuestLogLine;
import dev.kiln.abi.LogLevel;
import dev.kiln.host.observability.InvocationRecord;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Invocation records in messages of the {@code KILN_RECORDS} stream (docs/adr/0057): a JSON array
 * of records, as many as fit under the connection's largest payload. A record is an object with the
 * record's fields; {@code logs} holds {@code [epochMillis, level, message]} triples.
 */
final class RecordMessages {
    private static final ObjectMapper JSON = new ObjectMapper();

    private RecordMessages() {}

    /** One message body and how many records it holds. */
    record Packed(byte[] body, int records) {}

    /**
     * The records as message bodies of at most {@code maxBytes} each. A record too large for a
     * message alone goes without its log lines ({@code logTruncated}): its usage still counts.
     */
    static List<Packed> pack(List<InvocationRecord> records, int maxBytes, String node) {
        List<Packed> out = new ArrayList<>();
        var body = new ByteArrayOutputStream();
        int count = 0;
        for (InvocationRecord r : records) {
            byte[] one = encode(r, true, node);
            if (one.length + 2 > maxBytes) {
                one = encode(r, false, node);
            }
            if (body.size() > 0 && body.size() + one.length + 1 > maxBytes) {
                body.write(']');
                out.add(new Packed(body.toByteArray(), count));
                body.reset();
                count = 0;
            }
            body.write(body.size() == 0 ? '[' : ',');
            body.writeBytes(one);
            count++;
        }
        if (body.size() > 0) {
            body.write(']');
            out.add(new Packed(body.toByteArray(), count));
        }
        return out;
    }

    /** One record; {@code node} ran it unless it names its node. */
    static byte[] encode(InvocationRecord r, boolean withLogs, String node) {
        var out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("requestId", r.requestId());
            g.writeStringField("service", r.service());
            g.writeStringField("function", r.function());
            g.writeNumberField("version", r.version());
            g.writeStringField("versionSha256", r.versionSha256());
            g.writeStringField("trigger", r.trigger());
            g.writeNumberField("startedAt", r.startedAt().toEpochMilli());
            g.writeNumberField("durationUs", r.durationMicros());
            g.writeStringField("outcome", r.outcome());
            g.writeNumberField("status", r.httpStatus());
            g.writeNumberField("bytesIn", r.bytesIn());
            g.writeNumberField("bytesOut", r.bytesOut());
            g.writeNumberField("fuel", r.fuel());
            g.writeStringField("startKind", r.startKind());
            g.writeStringField("error", r.errorMessage());
            g.writeBooleanField(
                    "logTruncated", r.logTruncated() || (!withLogs && !r.logs().isEmpty()));
            g.writeNumberField("attempt", r.attempt());
            g.writeNumberField("memoryMiB", r.memoryMiB());
            g.writeStringField("keyId", r.keyId());
            g.writeStringField("traceId", r.traceId());
            g.writeStringField("node", r.node() != null ? r.node() : node);
            g.writeArrayFieldStart("logs");
            if (withLogs) {
                for (GuestLogLine l : r.logs()) {
                    g.writeStartArray();
                    g.writeNumber(l.epochMillis());
                    g.writeString(l.level().name());
                    g.writeString(l.message());
                    g.writeEndArray();
                }
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // writing to memory
        }
        return out.toByteArray();
    }

    /**
     * The records of one message body; those that name no node are {@code node}'s.
     *
     * @throws IOException not a body {@link #pack} made
     */
    static List<InvocationRecord> unpack(byte[] body, String node) throws IOException {
        JsonNode array = JSON.readTree(body);
        if (array == null || !array.isArray()) {
            throw new IOException("a records message holds a JSON array");
        }
        List<InvocationRecord> out = new ArrayList<>(array.size());
        for (JsonNode n : array) {
            out.add(decode(n, node));
        }
        return out;
    }

    private static InvocationRecord decode(JsonNode n, String node) throws IOException {
        try {
            List<GuestLogLine> logs = new ArrayList<>();
            for (JsonNode l : n.path("logs")) {
                logs.add(
                        new GuestLogLine(
                                l.get(0).asLong(),
                                LogLevel.valueOf(l.get(1).asText()),
                                l.get(2).asText()));
            }
            return new InvocationRecord(
                    text(n, "requestId"),
                    text(n, "service"),
                    text(n, "function"),
                    n.path("version").asInt(),
                    text(n, "versionSha256"),
                    text(n, "trigger"),
                    Instant.ofEpochMilli(n.path("startedAt").asLong()),
                    n.path("durationUs").asLong(),
                    text(n, "outcome"),
                    n.path("status").asInt(),
                    n.path("bytesIn").asLong(),
                    n.path("bytesOut").asLong(),
                    n.path("fuel").asLong(),
                    text(n, "startKind"),
                    text(n, "error"),
                    logs,
                    n.path("logTruncated").asBoolean(),
                    n.path("attempt").asInt(),
                    n.path("memoryMiB").asInt(),
                    text(n, "keyId"),
                    text(n, "traceId"),
                    null,
                    n.hasNonNull("node") ? text(n, "node") : node);
        } catch (RuntimeException e) {
            throw new IOException("not an invocation record: " + e.getMessage(), e);
        }
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
