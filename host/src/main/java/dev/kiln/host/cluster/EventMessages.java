package dev.kiln.host.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.host.core.FunctionName;
import dev.kiln.host.events.DeadLetter;
import dev.kiln.host.events.EventFields;
import dev.kiln.host.events.NewEvent;
import dev.kiln.host.events.QueuedEvent;
import dev.kiln.host.observability.TraceContext;
import io.nats.client.Message;
import io.nats.client.api.MessageInfo;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;

/**
 * How events look in JetStream (docs/adr/0053): a message on {@code kiln.events.<service>.<fn>}
 * whose body is the payload and whose headers are the rest; a dead letter and an event's retry
 * state as JSON documents in their buckets.
 */
final class EventMessages {
    static final String SUBJECT_PREFIX = "kiln.events.";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String REQUEST_ID = "Kiln-Request-Id";
    private static final String SERVICE = "Kiln-Service";
    private static final String FUNCTION = "Kiln-Function";
    private static final String TRIGGER = "Kiln-Trigger";
    private static final String SOURCE = "Kiln-Source";
    private static final String DEPTH = "Kiln-Depth";
    private static final String CREATED_AT = "Kiln-Created-At";
    private static final String QUALIFIER = "Kiln-Qualifier";
    private static final String TRACEPARENT = "traceparent";
    private static final String TRACESTATE = "tracestate";

    private EventMessages() {}

    static String subject(String service, String function) {
        return SUBJECT_PREFIX + service + "." + function;
    }

    /** The function a subject of the events stream is for. */
    static FunctionName function(String subject) {
        String rest = subject.substring(SUBJECT_PREFIX.length());
        int dot = rest.indexOf('.');
        return new FunctionName(rest.substring(0, dot), rest.substring(dot + 1));
    }

    /** The message of a new event, first enqueued (or re-driven) at {@code createdAt}. */
    static NatsMessage message(NewEvent e, Instant createdAt) {
        Headers h = new Headers();
        h.put(REQUEST_ID, e.requestId());
        h.put(SERVICE, e.service());
        h.put(FUNCTION, e.function());
        h.put(TRIGGER, e.trigger());
        h.put(SOURCE, e.source());
        h.put(DEPTH, Integer.toString(e.depth()));
        h.put(CREATED_AT, Long.toString(createdAt.toEpochMilli()));
        if (e.qualifier() != null) {
            h.put(QUALIFIER, e.qualifier());
        }
        if (e.trace() != null) {
            h.put(TRACEPARENT, e.trace().traceparent());
            if (e.trace().traceState() != null) {
                h.put(TRACESTATE, e.trace().traceState());
            }
        }
        return NatsMessage.builder()
                .subject(subject(e.service(), e.function()))
                .headers(h)
                .data(e.payload())
                .build();
    }

    /** A delivered message as a queued event; {@code attempts} and state come from the caller. */
    static QueuedEvent event(Message m, int attempts, RetryState state) {
        return event(m.metaData().streamSequence(), m.getHeaders(), m.getData(), attempts, state);
    }

    /** A stored message (read, not delivered) as a queued event. */
    static QueuedEvent event(MessageInfo m, RetryState state, boolean withPayload) {
        return event(
                m.getSeq(),
                m.getHeaders(),
                withPayload ? m.getData() : new byte[0],
                state == null ? 0 : state.attempts(),
                state);
    }

    private static QueuedEvent event(
            long seq, Headers h, byte[] data, int attempts, RetryState state) {
        String traceparent = h.getFirst(TRACEPARENT);
        return new QueuedEvent(
                seq,
                new EventFields(
                        h.getFirst(REQUEST_ID),
                        h.getFirst(SERVICE),
                        h.getFirst(FUNCTION),
                        h.getFirst(TRIGGER),
                        h.getFirst(SOURCE),
                        data == null ? new byte[0] : data),
                Integer.parseInt(h.getFirst(DEPTH)),
                createdAt(h),
                attempts,
                state == null ? Instant.now() : state.dueAt(),
                state == null ? null : state.lastError(),
                state == null ? null : state.lastMessage(),
                h.getFirst(QUALIFIER),
                traceparent == null
                        ? null
                        : TraceContext.parse(traceparent, h.getFirst(TRACESTATE)));
    }

    static Instant createdAt(Headers h) {
        return Instant.ofEpochMilli(Long.parseLong(h.getFirst(CREATED_AT)));
    }

    static String requestId(Headers h) {
        return h.getFirst(REQUEST_ID);
    }

    // ---------------------------------------------------------------- retry state

    /**
     * What an event's retries carry from one delivery to the next.
     *
     * @param delivered JetStream's delivery count of the delivery that wrote it
     * @param attempts attempts that ran up to and including that delivery
     */
    record RetryState(
            long delivered, int attempts, Instant dueAt, String lastError, String lastMessage) {}

    static byte[] state(RetryState s) {
        ObjectNode o = JSON.createObjectNode();
        o.put("delivered", s.delivered());
        o.put("attempts", s.attempts());
        o.put("dueAt", s.dueAt().toEpochMilli());
        o.put("lastError", s.lastError());
        o.put("lastMessage", s.lastMessage());
        return bytes(o);
    }

    static RetryState state(byte[] bytes) {
        JsonNode o = read(bytes);
        return new RetryState(
                o.path("delivered").asLong(),
                o.path("attempts").asInt(),
                Instant.ofEpochMilli(o.path("dueAt").asLong()),
                text(o, "lastError"),
                text(o, "lastMessage"));
    }

    // ---------------------------------------------------------------- dead letters

    /** A dead letter's document: the event as it was queued, and why it died. */
    static byte[] deadLetter(
            QueuedEvent e,
            Instant at,
            int attempts,
            String reason,
            String errorCode,
            String errorMessage) {
        ObjectNode o = JSON.createObjectNode();
        o.put("requestId", e.requestId());
        o.put("service", e.service());
        o.put("function", e.function());
        o.put("trigger", e.trigger());
        o.put("source", e.source());
        o.put("payload", Base64.getEncoder().encodeToString(e.payload()));
        o.put("depth", e.depth());
        o.put("createdAt", e.createdAt().toEpochMilli());
        o.put("deadLetteredAt", at.toEpochMilli());
        o.put("attempts", attempts);
        o.put("reason", reason);
        o.put("errorCode", errorCode);
        o.put("errorMessage", errorMessage);
        o.put("qualifier", e.qualifier());
        if (e.trace() != null) {
            o.put("traceparent", e.trace().traceparent());
            o.put("tracestate", e.trace().traceState());
        }
        return bytes(o);
    }

    /** A stored dead letter: as the API shows it, and as a re-drive enqueues it again. */
    record StoredDeadLetter(DeadLetter letter, NewEvent again) {}

    static StoredDeadLetter deadLetter(byte[] bytes, long revision, boolean withPayload) {
        JsonNode o = read(bytes);
        byte[] payload = Base64.getDecoder().decode(o.path("payload").asText(""));
        var fields =
                new EventFields(
                        o.path("requestId").asText(),
                        o.path("service").asText(),
                        o.path("function").asText(),
                        o.path("trigger").asText(),
                        o.path("source").asText(),
                        payload);
        var shown =
                new EventFields(
                        fields.requestId(),
                        fields.service(),
                        fields.function(),
                        fields.trigger(),
                        fields.source(),
                        withPayload ? payload : new byte[0]);
        String traceparent = text(o, "traceparent");
        var letter =
                new DeadLetter(
                        revision,
                        shown,
                        Instant.ofEpochMilli(o.path("createdAt").asLong()),
                        Instant.ofEpochMilli(o.path("deadLetteredAt").asLong()),
                        o.path("attempts").asInt(),
                        o.path("reason").asText(),
                        text(o, "errorCode"),
                        text(o, "errorMessage"));
        var again =
                new NewEvent(
                        fields,
                        o.path("depth").asInt(),
                        text(o, "qualifier"),
                        traceparent == null
                                ? null
                                : TraceContext.parse(traceparent, text(o, "tracestate")));
        return new StoredDeadLetter(letter, again);
    }

    /** The dead-letter key of an event: names are key-safe, a request id is encoded. */
    static String deadLetterKey(String service, String function, String requestId) {
        return deadLetterPrefix(service, function)
                + Base64.getUrlEncoder()
                        .withoutPadding()
                        .encodeToString(requestId.getBytes(StandardCharsets.UTF_8));
    }

    static String deadLetterPrefix(String service, String function) {
        return service + "." + function + ".";
    }

    /** A fire mark's key: {@code timer:s/f/id} with the colon KV keys do not allow replaced. */
    static String markKey(String key) {
        return key.replace(':', '=');
    }

    static String markKeyDecoded(String kvKey) {
        return kvKey.replace('=', ':');
    }

    private static String text(JsonNode o, String field) {
        JsonNode v = o.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static byte[] bytes(JsonNode o) {
        try {
            return JSON.writeValueAsBytes(o);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode read(byte[] bytes) {
        try {
            return JSON.readTree(bytes);
        } catch (IOException e) {
            throw new IllegalStateException("unreadable document in a Kiln bucket", e);
        }
    }
}
