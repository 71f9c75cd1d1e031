package dev.kiln.host.replay;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.kiln.abi.Header;
import dev.kiln.abi.HttpRequestMeta;
import dev.kiln.abi.OutboundLimits;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Writes a {@link Recording} as {@link RecordingJson}'s format straight to a generator. The store's
 * writer thread does this for every kept recording, on the cores the invocations run on: building a
 * JSON tree first cost about as much CPU as the invocations it recorded (docs/adr/0041).
 */
final class RecordingWriter {
    private static final JsonFactory FACTORY = new JsonFactory();

    private final JsonGenerator out;
    private final RecordingJson.Secrets secrets;
    private final SecretSeal seal;
    private final boolean bytesBeside;

    private RecordingWriter(
            JsonGenerator out,
            RecordingJson.Secrets secrets,
            SecretSeal seal,
            boolean bytesBeside) {
        this.out = out;
        this.secrets = secrets;
        this.seal = seal;
        this.bytesBeside = bytesBeside;
    }

    /**
     * @param bytesBeside leave out the payload and the result's body (the store keeps them in
     *     columns of their own, as they are)
     */
    static byte[] write(
            Recording r,
            RecordingJson.Secrets secrets,
            SecretSeal seal,
            byte[] module,
            boolean bytesBeside) {
        int inline = bytesBeside ? 0 : 2 * (r.payload().length + r.result().body().length);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(1024 + inline);
        try (JsonGenerator g = FACTORY.createGenerator(bytes)) {
            new RecordingWriter(g, secrets, seal, bytesBeside).recording(r, module);
        } catch (IOException e) {
            // Only a bug gets here: the target is memory.
            throw new UncheckedIOException("a recording could not be written as JSON", e);
        }
        return bytes.toByteArray();
    }

    /** The readable request of a secret outbound call, as the JSON text that gets sealed. */
    private static String requestText(JournalEntry.Http h) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JsonGenerator g = FACTORY.createGenerator(bytes)) {
            g.writeStartObject();
            new RecordingWriter(g, RecordingJson.Secrets.CLEAR, SecretSeal.NONE, false).request(h);
            g.writeEndObject();
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private void recording(Recording r, byte[] module) throws IOException {
        out.writeStartObject();
        out.writeNumberField("kilnRecording", Recording.FORMAT);
        out.writeStringField("requestId", r.requestId());
        out.writeStringField("service", r.service());
        out.writeStringField("function", r.function());
        out.writeNumberField("version", r.version());
        out.writeStringField("sha256", r.sha256());
        out.writeStringField("abi", r.abi());
        out.writeStringField("handler", r.handler());
        out.writeNumberField("memoryMiB", r.memoryMiB());
        out.writeNumberField("timeoutMs", r.timeoutMs());
        out.writeNumberField("fuelBudget", r.fuelBudget());
        out.writeStringField("trigger", r.trigger());
        out.writeNumberField("startedAt", r.startedAtMillis());
        out.writeNumberField("deadlineEpochMillis", r.deadlineEpochMillis());
        if (r.http() != null) {
            HttpRequestMeta h = r.http();
            out.writeObjectFieldStart("http");
            out.writeStringField("method", h.method());
            out.writeStringField("path", h.path());
            out.writeStringField("query", h.query());
            out.writeStringField("protocol", h.protocol());
            out.writeStringField("remoteAddress", h.remoteAddress());
            headers("headers", h.headers());
            out.writeEndObject();
        }
        if (!bytesBeside) {
            binary("payload", r.payload());
        }
        out.writeArrayFieldStart("environment");
        for (JournalEntry.Config c : r.environment()) {
            config(c);
        }
        out.writeEndArray();
        out.writeArrayFieldStart("journal");
        for (JournalEntry e : r.journal()) {
            entry(e);
        }
        out.writeEndArray();
        Recording.Result res = r.result();
        out.writeObjectFieldStart("result");
        out.writeStringField("outcome", res.outcome());
        out.writeNumberField("status", res.status());
        headers("headers", res.headers());
        if (!bytesBeside) {
            binary("body", res.body());
        }
        out.writeNumberField("fuel", res.fuel());
        out.writeStringField("message", res.message());
        out.writeEndObject();
        OutboundLimits limits = r.outboundLimits();
        out.writeObjectFieldStart("outboundLimits");
        out.writeNumberField("maxRequestsPerInvocation", limits.maxRequestsPerInvocation());
        out.writeNumberField("maxRequestBodyBytes", limits.maxRequestBodyBytes());
        out.writeNumberField(
                "maxResponseBytesPerInvocation", limits.maxResponseBytesPerInvocation());
        out.writeNumberField("callTimeoutMs", limits.callTimeoutMillis());
        out.writeEndObject();
        if (module != null) {
            out.writeObjectFieldStart("module");
            out.writeStringField("sha256", r.sha256());
            binary("bytes", module);
            out.writeEndObject();
        }
        out.writeEndObject();
    }

    private void headers(String field, List<Header> headers) throws IOException {
        out.writeArrayFieldStart(field);
        for (Header h : headers) {
            out.writeStartArray();
            out.writeString(h.name());
            out.writeString(h.value());
            out.writeEndArray();
        }
        out.writeEndArray();
    }

    /** Base64 (RFC 4648, padded, no line breaks), or null. */
    private void binary(String field, byte[] value) throws IOException {
        out.writeFieldName(field);
        if (value == null) {
            out.writeNull();
        } else {
            out.writeBinary(value);
        }
    }

    private void config(JournalEntry.Config c) throws IOException {
        out.writeStartObject();
        out.writeStringField("kind", "config");
        out.writeStringField("key", c.key());
        out.writeBooleanField("secret", c.secret());
        if (!c.secret() || c.value() == null) {
            out.writeStringField("value", c.value());
            if (c.secret()) {
                out.writeBooleanField("redacted", true);
            }
        } else {
            switch (secrets) {
                case CLEAR -> out.writeStringField("value", c.value());
                case REDACTED -> redactedValue();
                case SEALED -> {
                    var sealed = seal.seal(c.value());
                    if (sealed.isPresent()) {
                        out.writeStringField("sealed", sealed.get());
                    } else {
                        redactedValue();
                    }
                }
            }
        }
        out.writeEndObject();
    }

    private void redactedValue() throws IOException {
        out.writeNullField("value");
        out.writeBooleanField("redacted", true);
    }

    private void entry(JournalEntry e) throws IOException {
        switch (e) {
            case JournalEntry.Clock c -> {
                out.writeStartObject();
                out.writeStringField("kind", "clock");
                out.writeStringField("call", c.call());
                out.writeNumberField("value", c.value());
                out.writeEndObject();
            }
            case JournalEntry.Random r -> {
                out.writeStartObject();
                out.writeStringField("kind", "random");
                binary("bytes", r.bytes());
                out.writeEndObject();
            }
            case JournalEntry.Config c -> config(c);
            case JournalEntry.Kv k -> {
                out.writeStartObject();
                out.writeStringField("kind", "kv");
                out.writeStringField("call", k.call());
                out.writeArrayFieldStart("args");
                for (byte[] a : k.args()) {
                    if (a == null) {
                        out.writeNull();
                    } else {
                        out.writeBinary(a);
                    }
                }
                out.writeEndArray();
                out.writeNumberField("number", k.number());
                out.writeStringField("error", k.error());
                binary("result", k.resultBytes());
                out.writeNumberField("resultNumber", k.resultNumber());
                out.writeEndObject();
            }
            case JournalEntry.Http h -> http(h);
            case JournalEntry.Wasi w -> {
                out.writeStartObject();
                out.writeStringField("kind", "wasi");
                out.writeStringField("call", w.call());
                out.writeArrayFieldStart("args");
                for (long a : w.args()) {
                    out.writeNumber(a);
                }
                out.writeEndArray();
                out.writeNumberField("errno", w.errno());
                binary("written", w.written());
                out.writeEndObject();
            }
        }
    }

    /**
     * An {@code http_send} entry. The readable request of a function with secrets is handled like a
     * secret's value: sealed (as one JSON text) at rest, in clear for an administrator, left out
     * otherwise; the digests that a replay compares are always there.
     */
    private void http(JournalEntry.Http h) throws IOException {
        out.writeStartObject();
        out.writeStringField("kind", "http");
        out.writeStringField("method", h.method());
        out.writeStringField("requestSha256", h.requestSha256());
        out.writeNumberField("bodyBytes", h.bodyBytes());
        out.writeStringField("bodySha256", h.bodySha256());
        out.writeBooleanField("secret", h.secret());
        if (h.url() == null) {
            out.writeBooleanField("redacted", true);
        } else if (!h.secret() || secrets == RecordingJson.Secrets.CLEAR) {
            request(h);
        } else if (secrets == RecordingJson.Secrets.REDACTED) {
            out.writeBooleanField("redacted", true);
        } else {
            var sealed = seal.seal(requestText(h));
            if (sealed.isPresent()) {
                out.writeStringField("sealed", sealed.get());
            } else {
                out.writeBooleanField("redacted", true);
            }
        }
        out.writeStringField("error", h.error());
        out.writeStringField("message", h.message());
        out.writeNumberField("status", h.status());
        headers("responseHeaders", h.responseHeaders());
        binary("responseBody", h.responseBody());
        out.writeEndObject();
    }

    private void request(JournalEntry.Http h) throws IOException {
        out.writeStringField("url", h.url());
        headers("headers", h.headers());
        binary("body", h.body());
    }
}
