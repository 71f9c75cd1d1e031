package dev.kiln.host.observability;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.SerializedString;
import dev.kiln.host.storage.CoreYield;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The records of one row of {@code invocation_chunks} (docs/adr/0069): one function's records of a
 * batch as a JSON array in UTF-8, in the order written, each record a positional array of {@link
 * #FIELDS}, so that SQLite's {@code json_each} reads them too (the view {@code invocations}).
 * Stored as a blob: bound as a string, the driver would copy the whole text once more to encode it.
 * Log lines are not in it, only how many a record has.
 */
final class RecordChunks {
    private static final JsonFactory JSON = new JsonFactory();

    /** The columns of a record's array, in order; also the view {@code invocations}' columns. */
    static final List<String> FIELDS =
            List.of(
                    "request_id",
                    "version",
                    "version_sha256",
                    "trigger",
                    "started_at",
                    "duration_us",
                    "outcome",
                    "status",
                    "bytes_in",
                    "bytes_out",
                    "fuel",
                    "start_kind",
                    "error",
                    "log_truncated",
                    "attempt",
                    "memory_mib",
                    "key_id",
                    "trace_id",
                    "node",
                    "log_count");

    private RecordChunks() {}

    /** Where a record sorts in a listing: by start, then request id; newest is largest. */
    record Key(long startedAt, String requestId) implements Comparable<Key> {
        static Key of(InvocationRecord r) {
            return new Key(r.startedAt().toEpochMilli(), r.requestId());
        }

        @Override
        public int compareTo(Key o) {
            int byTime = Long.compare(startedAt, o.startedAt);
            return byTime != 0 ? byTime : requestId.compareTo(o.requestId);
        }
    }

    /**
     * The chunk of {@code records}; a record that names no node ran on {@code localNode}. {@code
     * buffer} is the caller's to reuse (emptied here).
     */
    static byte[] encode(
            List<InvocationStore.Listed> records, String localNode, ByteArrayOutputStream buffer) {
        buffer.reset();
        CoreYield pace = new CoreYield();
        Repeated repeated = new Repeated();
        try (JsonGenerator g = JSON.createGenerator(buffer, JsonEncoding.UTF8)) {
            g.writeStartArray();
            for (InvocationStore.Listed listed : records) {
                pace.step();
                InvocationRecord r = listed.record();
                g.writeStartArray();
                g.writeString(r.requestId());
                g.writeNumber(r.version());
                repeated.write(g, Repeated.SHA256, r.versionSha256());
                repeated.write(g, Repeated.TRIGGER, r.trigger());
                g.writeNumber(r.startedAt().toEpochMilli());
                g.writeNumber(r.durationMicros());
                repeated.write(g, Repeated.OUTCOME, r.outcome());
                g.writeNumber(r.httpStatus());
                g.writeNumber(r.bytesIn());
                g.writeNumber(r.bytesOut());
                g.writeNumber(r.fuel());
                repeated.write(g, Repeated.START_KIND, r.startKind());
                g.writeString(r.errorMessage());
                g.writeNumber(r.logTruncated() ? 1 : 0);
                g.writeNumber(r.attempt());
                g.writeNumber(r.memoryMiB());
                repeated.write(g, Repeated.KEY_ID, r.keyId());
                g.writeString(r.traceId());
                repeated.write(g, Repeated.NODE, r.node() != null ? r.node() : localNode);
                g.writeNumber(listed.logCount());
                g.writeEndArray();
            }
            g.writeEndArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // writing to memory
        }
        return buffer.toByteArray();
    }

    /**
     * The fields that mostly repeat from one record of a chunk to the next (one function's version,
     * trigger, outcome, key, node): each written from its JSON bytes, kept while the value stays
     * the same, instead of escaped character by character again — writing strings was about half of
     * encoding a chunk, which is the record writer's largest part.
     */
    private static final class Repeated {
        static final int SHA256 = 0;
        static final int TRIGGER = 1;
        static final int OUTCOME = 2;
        static final int START_KIND = 3;
        static final int KEY_ID = 4;
        static final int NODE = 5;

        private final String[] values = new String[NODE + 1];
        private final SerializedString[] json = new SerializedString[NODE + 1];

        void write(JsonGenerator g, int field, String value) throws IOException {
            if (value == null) {
                g.writeNull();
                return;
            }
            if (!value.equals(values[field])) {
                values[field] = value;
                json[field] = new SerializedString(value);
            }
            g.writeString(json[field]);
        }
    }

    /**
     * The records of a chunk of {@code service}'s {@code function}, in its order, without their log
     * lines.
     *
     * @throws SQLException the text is not a chunk (a damaged file)
     */
    static List<InvocationStore.Listed> decode(byte[] chunk, String service, String function)
            throws SQLException {
        try (JsonParser p = JSON.createParser(chunk)) {
            expect(p.nextToken(), JsonToken.START_ARRAY);
            List<InvocationStore.Listed> out = new ArrayList<>();
            CoreYield pace = new CoreYield();
            while (p.nextToken() == JsonToken.START_ARRAY) {
                pace.step();
                out.add(readRecord(p, service, function));
            }
            expect(p.currentToken(), JsonToken.END_ARRAY);
            return out;
        } catch (IOException | RuntimeException e) {
            throw new SQLException("records.db holds a damaged invocation chunk: " + e, e);
        }
    }

    private static InvocationStore.Listed readRecord(JsonParser p, String service, String function)
            throws IOException {
        String requestId = text(p);
        int version = (int) number(p);
        String versionSha256 = text(p);
        String trigger = text(p);
        long startedAt = number(p);
        long durationMicros = number(p);
        String outcome = text(p);
        int status = (int) number(p);
        long bytesIn = number(p);
        long bytesOut = number(p);
        long fuel = number(p);
        String startKind = text(p);
        String error = text(p);
        boolean logTruncated = number(p) == 1;
        int attempt = (int) number(p);
        int memoryMiB = (int) number(p);
        String keyId = text(p);
        String traceId = text(p);
        String node = text(p);
        int logCount = (int) number(p);
        expect(p.nextToken(), JsonToken.END_ARRAY);
        return new InvocationStore.Listed(
                new InvocationRecord(
                        requestId,
                        service,
                        function,
                        version,
                        versionSha256,
                        trigger,
                        Instant.ofEpochMilli(startedAt),
                        durationMicros,
                        outcome,
                        status,
                        bytesIn,
                        bytesOut,
                        fuel,
                        startKind,
                        error,
                        List.of(),
                        logTruncated,
                        attempt,
                        memoryMiB,
                        keyId,
                        traceId,
                        null,
                        node),
                logCount);
    }

    private static String text(JsonParser p) throws IOException {
        JsonToken t = p.nextToken();
        if (t == JsonToken.VALUE_NULL) {
            return null;
        }
        expect(t, JsonToken.VALUE_STRING);
        return p.getText();
    }

    private static long number(JsonParser p) throws IOException {
        expect(p.nextToken(), JsonToken.VALUE_NUMBER_INT);
        return p.getLongValue();
    }

    private static void expect(JsonToken got, JsonToken wanted) throws IOException {
        if (got != wanted) {
            throw new IOException("expected " + wanted + ", found " + got);
        }
    }
}
