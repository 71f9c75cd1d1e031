package dev.kiln.host.triggers;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.FunctionName;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.registry.Qualifier;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Iterator;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A function's trigger: a subscription to a topic or a cron timer, enabled or not.
 *
 * @param scheduledFrom when its schedule began: its creation, its last enabling, or the last change
 *     of its cron or timezone. A timer never fires for times before it, so a changed schedule never
 *     fires a time that passed before the change.
 * @param qualifier what selects the version its events run (docs/adr/0037); {@code null} is LATEST
 */
record Trigger(
        String id,
        String service,
        String function,
        boolean enabled,
        Instant createdAt,
        Instant scheduledFrom,
        Source source,
        String qualifier) {

    static final ObjectMapper JSON = new ObjectMapper();
    static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");
    static final Pattern TOPIC = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,127}");
    private static final Set<String> TOPIC_FIELDS =
            Set.of("id", "type", "topic", "filter", "enabled", "qualifier");
    private static final Set<String> TIMER_FIELDS =
            Set.of(
                    "id",
                    "type",
                    "cron",
                    "timezone",
                    "payload",
                    "missedFire",
                    "enabled",
                    "qualifier");

    /** What starts the function. */
    sealed interface Source {}

    /** Every event published to {@code topic} that matches {@code filter} (null: all). */
    record TopicSource(String topic, EventFilter filter) implements Source {}

    /**
     * A fire at every time of {@code schedule}, with {@code payload} as the event.
     *
     * @param runMissed whether a fire missed while Kiln was down runs once on start ({@code
     *     run_once}) or is skipped ({@code skip})
     */
    record TimerSource(CronSchedule schedule, JsonNode payload, boolean runMissed)
            implements Source {
        /** The event bytes: a JSON string as its text, anything else as JSON; none as empty. */
        byte[] payloadBytes() {
            if (payload == null || payload.isNull() || payload.isMissingNode()) {
                return new byte[0];
            }
            String text = payload.isTextual() ? payload.asText() : payload.toString();
            return text.getBytes(StandardCharsets.UTF_8);
        }
    }

    FunctionName functionKey() {
        return new FunctionName(service, function);
    }

    /** The key under which a timer's fires are marked in the event queue. */
    String fireKey() {
        return fireKeyPrefix(service, function) + id;
    }

    /**
     * The start of the fire keys of every timer of a function, and of no other function's (names
     * and ids hold no slash).
     */
    static String fireKeyPrefix(String service, String function) {
        return "timer:" + new FunctionName(service, function) + "/";
    }

    /**
     * Reads a trigger definition as a client sends it ({@code POST}, or a {@code PATCH} merged onto
     * the stored definition).
     *
     * @throws KilnException {@code bad_request} for anything malformed
     */
    static Trigger parse(
            JsonNode json,
            String service,
            String function,
            String id,
            Instant createdAt,
            Instant scheduledFrom,
            int maxPayloadBytes) {
        if (json == null || !json.isObject()) {
            throw bad("a trigger must be a JSON object");
        }
        String type = json.path("type").asText("");
        Set<String> allowed =
                switch (type) {
                    case "topic" -> TOPIC_FIELDS;
                    case "timer" -> TIMER_FIELDS;
                    default -> throw bad("'type' must be topic or timer");
                };
        for (Iterator<String> it = json.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!allowed.contains(f) && !f.equals("createdAt") && !f.equals("enabledAt")) {
                throw bad("unknown field '" + f + "' for a " + type + " trigger");
            }
        }
        JsonNode enabledNode = json.get("enabled");
        if (enabledNode != null && !enabledNode.isBoolean()) {
            throw bad("'enabled' must be true or false");
        }
        boolean enabled = enabledNode == null || enabledNode.asBoolean();
        Source source =
                type.equals("topic")
                        ? new TopicSource(
                                topic(json.get("topic")), EventFilter.parse(json.get("filter")))
                        : timer(json, maxPayloadBytes);
        return new Trigger(
                id, service, function, enabled, createdAt, scheduledFrom, source, qualifier(json));
    }

    /** The definition's qualifier as stored: {@code null} for LATEST or none. */
    static String qualifier(JsonNode json) {
        JsonNode q = json.get("qualifier");
        if (q == null || q.isNull()) {
            return null;
        }
        if (!q.isTextual()) {
            throw bad("'qualifier' must be LATEST, a version number or an alias name");
        }
        Qualifier parsed = Qualifier.parse(q.asText());
        return parsed instanceof Qualifier.Latest ? null : parsed.toString();
    }

    static String topic(JsonNode n) {
        if (n == null || !n.isTextual() || !TOPIC.matcher(n.asText()).matches()) {
            throw bad("'topic' must be a topic name matching " + TOPIC.pattern());
        }
        return n.asText();
    }

    private static TimerSource timer(JsonNode json, int maxPayloadBytes) {
        JsonNode cron = json.get("cron");
        if (cron == null || !cron.isTextual()) {
            throw bad("a timer trigger needs 'cron', a cron expression");
        }
        JsonNode zone = json.get("timezone");
        if (zone != null && !zone.isNull() && !zone.isTextual()) {
            throw bad("'timezone' must be a time zone name such as UTC or Europe/Berlin");
        }
        CronSchedule schedule =
                CronSchedule.parse(
                        cron.asText(), zone == null || zone.isNull() ? null : zone.asText());
        String missed = json.path("missedFire").asText("skip");
        if ((json.has("missedFire") && !json.get("missedFire").isTextual())
                || (!missed.equals("skip") && !missed.equals("run_once"))) {
            throw bad("'missedFire' must be skip or run_once");
        }
        JsonNode payload = json.get("payload");
        var source =
                new TimerSource(
                        schedule,
                        payload == null ? null : payload.deepCopy(),
                        missed.equals("run_once"));
        if (source.payloadBytes().length > maxPayloadBytes) {
            throw bad("'payload' is larger than " + maxPayloadBytes + " bytes");
        }
        return source;
    }

    /** The definition as a client wrote it (what PATCH merges onto), plus the timestamps. */
    ObjectNode definition() {
        ObjectNode o = JSON.createObjectNode();
        o.put("id", id);
        switch (source) {
            case TopicSource t -> {
                o.put("type", "topic");
                o.put("topic", t.topic());
                o.set("filter", t.filter() == null ? JSON.nullNode() : t.filter().pattern());
            }
            case TimerSource t -> {
                o.put("type", "timer");
                o.put("cron", t.schedule().expression());
                o.put("timezone", t.schedule().zone().getId());
                o.set("payload", t.payload() == null ? JSON.nullNode() : t.payload());
                o.put("missedFire", t.runMissed() ? "run_once" : "skip");
            }
        }
        o.put("enabled", enabled);
        o.put("qualifier", qualifier == null ? Qualifier.LATEST_NAME : qualifier);
        return o;
    }

    /** The stored form: the definition plus timestamps in epoch milliseconds. */
    String stored() {
        ObjectNode o = definition();
        o.put("createdAt", createdAt.toEpochMilli());
        // Stored under the name it had before a schedule change restarted it too, so files
        // written by then read the same.
        o.put("enabledAt", scheduledFrom.toEpochMilli());
        return o.toString();
    }

    static Trigger fromStored(String service, String function, String id, String body) {
        try {
            JsonNode json = JSON.readTree(body);
            return parse(
                    json,
                    service,
                    function,
                    id,
                    Instant.ofEpochMilli(json.path("createdAt").asLong()),
                    Instant.ofEpochMilli(json.path("enabledAt").asLong()),
                    Integer.MAX_VALUE);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored trigger " + id + " is not readable", e);
        }
    }

    /** The API's view: the definition, where it belongs, and for timers the next fire time. */
    ObjectNode view(Instant nextFire) {
        ObjectNode o = JSON.createObjectNode();
        o.put("id", id);
        o.put("service", service);
        o.put("function", function);
        o.setAll(definition());
        o.put("createdAt", createdAt.toString());
        if (source instanceof TimerSource) {
            o.put("nextFireAt", nextFire == null ? null : nextFire.toString());
        }
        return o;
    }

    String type() {
        return source instanceof TopicSource ? "topic" : "timer";
    }

    static KilnException bad(String message) {
        return new KilnException(ErrorCode.BAD_REQUEST, message);
    }
}
