package dev.kiln.host.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.FunctionName;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.registry.Qualifier;
import java.util.Iterator;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A function's asynchronous-invocation settings, like Lambda's event invoke config: how often and
 * how long its events are tried, how many may wait, and where results and failures go.
 *
 * @param deadLetter where an event goes when it runs out of attempts or time
 * @param onSuccess a function that gets a record of every successful event, or {@code null}
 * @param onFailure a function that gets a record of every finally failed event, or {@code null}
 */
public record AsyncConfig(
        int maxAttempts,
        long maxEventAgeSeconds,
        int maxQueuedEvents,
        Destination deadLetter,
        Destination.FunctionTarget onSuccess,
        Destination.FunctionTarget onFailure) {

    static final ObjectMapper JSON = new ObjectMapper();
    // Destinations name functions and services by the registry's rule.
    private static final Pattern NAME = FunctionName.NAME;
    private static final Set<String> FIELDS =
            Set.of(
                    "maxAttempts",
                    "maxEventAgeSeconds",
                    "maxQueuedEvents",
                    "deadLetter",
                    "onSuccess",
                    "onFailure");

    /** The settings of a function that has none of its own. */
    public static AsyncConfig defaults(EventLimits limits) {
        return new AsyncConfig(
                limits.defaultMaxAttempts(),
                limits.defaultMaxEventAge().toSeconds(),
                limits.maxQueuedEvents(),
                new Destination.DeadLetterList(),
                null,
                null);
    }

    /**
     * Reads settings from JSON; absent fields take the host's defaults. Refuses unknown fields,
     * wrong types and values outside the host's caps with {@code bad_request}.
     *
     * @param ownService the service of the function being configured (the default for targets)
     */
    public static AsyncConfig fromJson(JsonNode json, String ownService, EventLimits limits) {
        if (json == null || !json.isObject()) {
            throw bad("the async config must be a JSON object");
        }
        for (Iterator<String> it = json.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!FIELDS.contains(f)) {
                throw bad("unknown field '" + f + "' in the async config");
            }
        }
        AsyncConfig d = defaults(limits);
        int attempts =
                (int) number(json, "maxAttempts", d.maxAttempts(), 1, limits.maxAttemptsCap());
        long age =
                number(
                        json,
                        "maxEventAgeSeconds",
                        d.maxEventAgeSeconds(),
                        1,
                        limits.maxEventAgeCap().toSeconds());
        int queued =
                (int)
                        number(
                                json,
                                "maxQueuedEvents",
                                d.maxQueuedEvents(),
                                1,
                                limits.maxQueuedEvents());
        Destination dl = deadLetter(json.get("deadLetter"), ownService);
        return new AsyncConfig(
                attempts,
                age,
                queued,
                dl == null ? d.deadLetter() : dl,
                target(json.get("onSuccess"), "onSuccess", ownService),
                target(json.get("onFailure"), "onFailure", ownService));
    }

    /** The JSON form, the inverse of {@link #fromJson}. */
    public ObjectNode toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.put("maxAttempts", maxAttempts);
        o.put("maxEventAgeSeconds", maxEventAgeSeconds);
        o.put("maxQueuedEvents", maxQueuedEvents);
        o.set("deadLetter", destinationJson(deadLetter));
        o.set("onSuccess", destinationJson(onSuccess));
        o.set("onFailure", destinationJson(onFailure));
        return o;
    }

    private static JsonNode destinationJson(Destination d) {
        if (d == null) {
            return JSON.nullNode();
        }
        ObjectNode o = JSON.createObjectNode();
        switch (d) {
            case Destination.DeadLetterList l -> o.put("type", "list");
            case Destination.Discard x -> o.put("type", "none");
            case Destination.FunctionTarget t -> {
                o.put("type", "function");
                o.put("service", t.service());
                o.put("function", t.function());
                if (t.qualifier() != null) {
                    o.put("qualifier", t.qualifier());
                }
            }
        }
        return o;
    }

    private static Destination deadLetter(JsonNode n, String ownService) {
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isObject()) {
            throw bad("'deadLetter' must be an object with a 'type'");
        }
        String type = n.path("type").asText("");
        return switch (type) {
            case "list" -> {
                onlyFields(n, "deadLetter", Set.of("type"));
                yield new Destination.DeadLetterList();
            }
            case "none" -> {
                onlyFields(n, "deadLetter", Set.of("type"));
                yield new Destination.Discard();
            }
            case "function" -> functionTarget(n, "deadLetter", ownService);
            default -> throw bad("'deadLetter.type' must be list, function or none");
        };
    }

    private static Destination.FunctionTarget target(JsonNode n, String field, String ownService) {
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isObject() || !"function".equals(n.path("type").asText(""))) {
            throw bad("'" + field + "' must be null or {\"type\":\"function\",\"function\":...}");
        }
        return functionTarget(n, field, ownService);
    }

    private static Destination.FunctionTarget functionTarget(
            JsonNode n, String field, String ownService) {
        onlyFields(n, field, Set.of("type", "service", "function", "qualifier"));
        String service = n.has("service") ? n.get("service").asText("") : ownService;
        String function = n.path("function").asText("");
        if (!n.path("function").isTextual() || !NAME.matcher(function).matches()) {
            throw bad("'" + field + ".function' must be a function name matching " + NAME);
        }
        if (!n.path("service").isMissingNode()
                && (!n.get("service").isTextual() || !NAME.matcher(service).matches())) {
            throw bad("'" + field + ".service' must be a service name matching " + NAME);
        }
        String qualifier = null;
        JsonNode q = n.get("qualifier");
        if (q != null && !q.isNull()) {
            if (!q.isTextual()) {
                throw bad("'" + field + ".qualifier' must be LATEST, a version number or an alias");
            }
            try {
                qualifier = Qualifier.parse(q.asText()).toString();
            } catch (KilnException e) {
                throw bad("'" + field + ".qualifier': " + e.getMessage());
            }
        }
        return new Destination.FunctionTarget(service, function, qualifier);
    }

    private static void onlyFields(JsonNode n, String where, Set<String> allowed) {
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!allowed.contains(f)) {
                throw bad("unknown field '" + f + "' in '" + where + "'");
            }
        }
    }

    private static long number(JsonNode json, String field, long dflt, long min, long max) {
        JsonNode n = json.get(field);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.isIntegralNumber()
                || !n.canConvertToLong()
                || n.asLong() < min
                || n.asLong() > max) {
            throw bad("'" + field + "' must be an integer from " + min + " to " + max);
        }
        return n.asLong();
    }

    private static KilnException bad(String message) {
        return new KilnException(ErrorCode.BAD_REQUEST, message);
    }
}
