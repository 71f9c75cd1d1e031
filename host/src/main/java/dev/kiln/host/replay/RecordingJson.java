package dev.kiln.host.replay;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.abi.Header;
import dev.kiln.abi.HttpRequestMeta;
import dev.kiln.abi.OutboundLimits;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * A {@link Recording} as JSON: how the store keeps it (secret values sealed) and how it is exported
 * (secret values in clear for an administrator, else redacted), with the module's bytes in an
 * export so that {@code kiln replay FILE} needs nothing else (docs/adr/0041). Bytes are base64.
 */
public final class RecordingJson {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Base64.Encoder B64 = Base64.getEncoder();
    private static final Base64.Decoder B64D = Base64.getDecoder();

    /** What happens to secret values on the way out. */
    public enum Secrets {
        /** Sealed with the host's secrets key: the store. */
        SEALED,
        /** In clear: an administrator's export. */
        CLEAR,
        /** Left out, marked {@code "redacted": true}: anyone else's export. */
        REDACTED
    }

    /** A recording read back, with the module's bytes when the JSON carried them. */
    public record Read(Recording recording, byte[] module) {}

    private RecordingJson() {}

    /** The JSON text of {@code r}, secrets handled as {@code secrets} says. */
    public static byte[] write(Recording r, Secrets secrets, SecretSeal seal, byte[] module) {
        ObjectNode root = NODES.objectNode();
        root.put("kilnRecording", Recording.FORMAT);
        root.put("requestId", r.requestId());
        root.put("service", r.service());
        root.put("function", r.function());
        root.put("version", r.version());
        root.put("sha256", r.sha256());
        root.put("abi", r.abi());
        root.put("handler", r.handler());
        root.put("memoryMiB", r.memoryMiB());
        root.put("timeoutMs", r.timeoutMs());
        root.put("fuelBudget", r.fuelBudget());
        root.put("trigger", r.trigger());
        root.put("startedAt", r.startedAtMillis());
        root.put("deadlineEpochMillis", r.deadlineEpochMillis());
        if (r.http() != null) {
            ObjectNode h = root.putObject("http");
            h.put("method", r.http().method());
            h.put("path", r.http().path());
            h.put("query", r.http().query());
            h.put("protocol", r.http().protocol());
            h.put("remoteAddress", r.http().remoteAddress());
            h.set("headers", headers(r.http().headers()));
        }
        root.put("payload", B64.encodeToString(r.payload()));
        ArrayNode env = root.putArray("environment");
        for (JournalEntry.Config c : r.environment()) {
            env.add(config(c, secrets, seal));
        }
        ArrayNode journal = root.putArray("journal");
        for (JournalEntry e : r.journal()) {
            journal.add(entry(e, secrets, seal));
        }
        ObjectNode res = root.putObject("result");
        res.put("outcome", r.result().outcome());
        res.put("status", r.result().status());
        res.set("headers", headers(r.result().headers()));
        res.put("body", B64.encodeToString(r.result().body()));
        res.put("fuel", r.result().fuel());
        res.put("message", r.result().message());
        ObjectNode out = root.putObject("outboundLimits");
        out.put("maxRequestsPerInvocation", r.outboundLimits().maxRequestsPerInvocation());
        out.put("maxRequestBodyBytes", r.outboundLimits().maxRequestBodyBytes());
        out.put(
                "maxResponseBytesPerInvocation",
                r.outboundLimits().maxResponseBytesPerInvocation());
        out.put("callTimeoutMs", r.outboundLimits().callTimeoutMillis());
        if (module != null) {
            ObjectNode m = root.putObject("module");
            m.put("sha256", r.sha256());
            m.put("bytes", B64.encodeToString(module));
        }
        try {
            return JSON.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a recording could not be written as JSON", e);
        }
    }

    private static ArrayNode headers(List<Header> headers) {
        ArrayNode a = NODES.arrayNode();
        for (Header h : headers) {
            a.addArray().add(h.name()).add(h.value());
        }
        return a;
    }

    private static ObjectNode config(JournalEntry.Config c, Secrets secrets, SecretSeal seal) {
        ObjectNode o = NODES.objectNode();
        o.put("kind", "config");
        o.put("key", c.key());
        o.put("secret", c.secret());
        if (!c.secret() || c.value() == null) {
            o.put("value", c.value());
            if (c.secret()) {
                o.put("redacted", true);
            }
            return o;
        }
        switch (secrets) {
            case CLEAR -> o.put("value", c.value());
            case REDACTED -> o.putNull("value").put("redacted", true);
            case SEALED -> {
                var sealed = seal.seal(c.value());
                if (sealed.isPresent()) {
                    o.put("sealed", sealed.get());
                } else {
                    o.putNull("value").put("redacted", true);
                }
            }
        }
        return o;
    }

    private static ObjectNode entry(JournalEntry e, Secrets secrets, SecretSeal seal) {
        return switch (e) {
            case JournalEntry.Clock c -> {
                ObjectNode o = NODES.objectNode().put("kind", "clock");
                yield o.put("call", c.call()).put("value", c.value());
            }
            case JournalEntry.Random r ->
                    NODES.objectNode()
                            .put("kind", "random")
                            .put("bytes", B64.encodeToString(r.bytes()));
            case JournalEntry.Config c -> config(c, secrets, seal);
            case JournalEntry.Kv k -> {
                ObjectNode o = NODES.objectNode().put("kind", "kv").put("call", k.call());
                ArrayNode args = o.putArray("args");
                for (byte[] a : k.args()) {
                    if (a == null) {
                        args.addNull();
                    } else {
                        args.add(B64.encodeToString(a));
                    }
                }
                o.put("number", k.number());
                o.put("error", k.error());
                o.put(
                        "result",
                        k.resultBytes() == null ? null : B64.encodeToString(k.resultBytes()));
                yield o.put("resultNumber", k.resultNumber());
            }
            case JournalEntry.Http h -> http(h, secrets, seal);
            case JournalEntry.Wasi w -> {
                ObjectNode o = NODES.objectNode().put("kind", "wasi").put("call", w.call());
                ArrayNode args = o.putArray("args");
                for (long a : w.args()) {
                    args.add(a);
                }
                o.put("errno", w.errno());
                yield o.put("written", B64.encodeToString(w.written()));
            }
        };
    }

    /**
     * An {@code http_send} entry. The readable request of a function with secrets is handled like a
     * secret's value: sealed (as one JSON text) at rest, in clear for an administrator, left out
     * otherwise; the digests that a replay compares are always there.
     */
    private static ObjectNode http(JournalEntry.Http h, Secrets secrets, SecretSeal seal) {
        ObjectNode o = NODES.objectNode().put("kind", "http").put("method", h.method());
        o.put("requestSha256", h.requestSha256());
        o.put("bodyBytes", h.bodyBytes());
        o.put("bodySha256", h.bodySha256());
        o.put("secret", h.secret());
        if (h.url() == null) {
            o.put("redacted", true);
        } else if (!h.secret() || secrets == Secrets.CLEAR) {
            request(o, h);
        } else if (secrets == Secrets.REDACTED) {
            o.put("redacted", true);
        } else {
            var sealed = seal.seal(request(NODES.objectNode(), h).toString());
            if (sealed.isPresent()) {
                o.put("sealed", sealed.get());
            } else {
                o.put("redacted", true);
            }
        }
        o.put("error", h.error());
        o.put("message", h.message());
        o.put("status", h.status());
        o.set("responseHeaders", headers(h.responseHeaders()));
        return o.put("responseBody", B64.encodeToString(h.responseBody()));
    }

    private static ObjectNode request(ObjectNode o, JournalEntry.Http h) {
        o.put("url", h.url());
        o.set("headers", headers(h.headers()));
        return o.put("body", h.body() == null ? null : B64.encodeToString(h.body()));
    }

    private static JournalEntry.Http readHttp(JsonNode n, SecretSeal seal) {
        JsonNode request = n.path("redacted").asBoolean(false) ? null : n;
        if (n.path("sealed").isTextual()) {
            request =
                    seal.open(n.path("sealed").asText())
                            .map(RecordingJson::tree)
                            .orElse(null); // a retired key: reads as redacted
        }
        return new JournalEntry.Http(
                text(n, "method"),
                request == null ? null : text(request, "url"),
                request == null ? null : headers(request.get("headers")),
                n.path("bodyBytes").asLong(),
                text(n, "bodySha256"),
                request != null && request.path("body").isTextual() ? bytes(request, "body") : null,
                text(n, "requestSha256"),
                n.path("secret").asBoolean(false),
                n.path("error").isTextual() ? n.path("error").asText() : null,
                n.path("message").isTextual() ? n.path("message").asText() : null,
                n.path("status").asInt(),
                headers(n.get("responseHeaders")),
                bytes(n, "responseBody"));
    }

    private static JsonNode tree(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("a sealed request is not JSON");
        }
    }

    /**
     * Reads a recording; sealed secret values are opened with {@code seal} (one that cannot be
     * opened reads as redacted).
     *
     * @throws IllegalArgumentException when the text is no recording of this format
     */
    public static Read read(byte[] json, SecretSeal seal) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject() || root.path("kilnRecording").asInt(-1) < 0) {
            throw new IllegalArgumentException("not a Kiln recording (no kilnRecording field)");
        }
        if (root.path("kilnRecording").asInt() != Recording.FORMAT) {
            throw new IllegalArgumentException(
                    "recording format "
                            + root.path("kilnRecording").asInt()
                            + " is not supported (this Kiln reads format "
                            + Recording.FORMAT
                            + ")");
        }
        try {
            HttpRequestMeta http = null;
            JsonNode h = root.get("http");
            if (h != null && h.isObject()) {
                http =
                        new HttpRequestMeta(
                                text(h, "method"),
                                text(h, "path"),
                                text(h, "query"),
                                headers(h.get("headers")),
                                text(h, "protocol"),
                                text(h, "remoteAddress"));
            }
            List<JournalEntry.Config> env = new ArrayList<>();
            for (JsonNode n : array(root, "environment")) {
                env.add(readConfig(n, seal));
            }
            List<JournalEntry> journal = new ArrayList<>();
            for (JsonNode n : array(root, "journal")) {
                journal.add(readEntry(n, seal));
            }
            JsonNode res = root.path("result");
            var result =
                    new Recording.Result(
                            text(res, "outcome"),
                            res.path("status").asInt(),
                            headers(res.get("headers")),
                            bytes(res, "body"),
                            res.path("fuel").asLong(),
                            res.path("message").isTextual() ? res.path("message").asText() : null);
            var recording =
                    new Recording(
                            text(root, "requestId"),
                            text(root, "service"),
                            text(root, "function"),
                            root.path("version").asInt(),
                            text(root, "sha256"),
                            text(root, "abi"),
                            text(root, "handler"),
                            root.path("memoryMiB").asInt(),
                            root.path("timeoutMs").asLong(),
                            root.path("fuelBudget").asLong(),
                            text(root, "trigger"),
                            root.path("startedAt").asLong(),
                            root.path("deadlineEpochMillis").asLong(),
                            http,
                            bytes(root, "payload"),
                            env,
                            journal,
                            result,
                            outboundLimits(root.get("outboundLimits")));
            JsonNode m = root.get("module");
            byte[] module = m != null && m.isObject() ? bytes(m, "bytes") : null;
            return new Read(recording, module);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("a malformed recording: " + e.getMessage());
        }
    }

    private static JournalEntry.Config readConfig(JsonNode n, SecretSeal seal) {
        boolean secret = n.path("secret").asBoolean(false);
        String value = n.path("value").isTextual() ? n.path("value").asText() : null;
        if (n.path("sealed").isTextual()) {
            value = seal.open(n.path("sealed").asText()).orElse(null);
        }
        return new JournalEntry.Config(text(n, "key"), value, secret);
    }

    private static JournalEntry readEntry(JsonNode n, SecretSeal seal) {
        String kind = text(n, "kind");
        return switch (kind) {
            case "clock" -> new JournalEntry.Clock(text(n, "call"), n.path("value").asLong());
            case "random" -> new JournalEntry.Random(bytes(n, "bytes"));
            case "config" -> readConfig(n, seal);
            case "kv" -> {
                List<byte[]> args = new ArrayList<>();
                for (JsonNode a : array(n, "args")) {
                    args.add(a.isNull() ? null : B64D.decode(a.asText()));
                }
                yield new JournalEntry.Kv(
                        text(n, "call"),
                        args,
                        n.path("number").asLong(),
                        n.path("error").isTextual() ? n.path("error").asText() : null,
                        n.path("result").isTextual() ? bytes(n, "result") : null,
                        n.path("resultNumber").asLong());
            }
            case "http" -> readHttp(n, seal);
            case "wasi" -> {
                JsonNode a = n.path("args");
                long[] args = new long[a.size()];
                for (int i = 0; i < args.length; i++) {
                    args[i] = a.get(i).asLong();
                }
                yield new JournalEntry.Wasi(
                        text(n, "call"), args, n.path("errno").asInt(), bytes(n, "written"));
            }
            default -> throw new IllegalArgumentException("unknown journal entry kind " + kind);
        };
    }

    /** The recorded outbound limits, or null (the defaults) for a recording without them. */
    private static OutboundLimits outboundLimits(JsonNode o) {
        if (o == null || !o.isObject()) {
            return null;
        }
        return new OutboundLimits(
                o.path("maxRequestsPerInvocation").asInt(),
                o.path("maxRequestBodyBytes").asInt(),
                o.path("maxResponseBytesPerInvocation").asLong(),
                o.path("callTimeoutMs").asLong());
    }

    private static List<Header> headers(JsonNode a) {
        List<Header> out = new ArrayList<>();
        if (a != null && a.isArray()) {
            for (JsonNode pair : a) {
                out.add(new Header(pair.get(0).asText(), pair.get(1).asText()));
            }
        }
        return out;
    }

    private static Iterable<JsonNode> array(JsonNode n, String field) {
        JsonNode a = n.get(field);
        if (a == null || !a.isArray()) {
            throw new IllegalArgumentException("'" + field + "' must be an array");
        }
        return a;
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException("'" + field + "' must be a string");
        }
        return v.asText();
    }

    private static byte[] bytes(JsonNode n, String field) {
        return B64D.decode(text(n, field));
    }
}
