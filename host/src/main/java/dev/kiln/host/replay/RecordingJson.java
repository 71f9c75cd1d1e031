package dev.kiln.host.replay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
        return RecordingWriter.write(r, secrets, seal, module, false);
    }

    /**
     * The store's JSON of {@code r}: without the payload and the result's body, which the store
     * keeps beside it as they are ({@link #readStored}).
     */
    static byte[] writeStored(Recording r, Secrets secrets, SecretSeal seal) {
        return RecordingWriter.write(r, secrets, seal, null, true);
    }

    /**
     * Reads a stored recording: {@code payload} and {@code body} are its columns, used when the
     * JSON leaves them out (a row written before them has both in its JSON). A column that holds an
     * empty blob may read as null.
     */
    static Recording readStored(byte[] json, byte[] payload, byte[] body, SecretSeal seal) {
        return read(
                        json,
                        seal,
                        payload == null ? new byte[0] : payload,
                        body == null ? new byte[0] : body)
                .recording();
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
        return read(json, seal, null, null);
    }

    /** {@code payload} and {@code body} stand in for those the JSON leaves out, if it does. */
    private static Read read(byte[] json, SecretSeal seal, byte[] payload, byte[] body) {
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
                            bytesOr(res, "body", body),
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
                            bytesOr(root, "payload", payload),
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

    /** The field's bytes, or {@code beside} when the field is absent and there is one. */
    private static byte[] bytesOr(JsonNode n, String field, byte[] beside) {
        return beside != null && !n.has(field) ? beside : bytes(n, field);
    }

    private static byte[] bytes(JsonNode n, String field) {
        return B64D.decode(text(n, field));
    }
}
