package dev.kiln.host.triggers;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import java.util.Map;

/**
 * Which published events a subscription takes, in the shape of an EventBridge event pattern: a JSON
 * object whose fields name fields of the event; an array lists the values that match (any of them),
 * a nested object matches a nested object. Every field given must match. An event that is not a
 * JSON object matches no filter.
 *
 * <p>Example: {@code {"type": ["order.submitted"], "order": {"region": ["eu", "us"]}}}.
 */
record EventFilter(JsonNode pattern) {
    static final int MAX_BYTES = 4096;
    static final int MAX_DEPTH = 5;
    static final int MAX_VALUES = 100;

    /**
     * @throws KilnException {@code bad_request} when the pattern is malformed or too large
     */
    static EventFilter parse(JsonNode pattern) {
        if (pattern == null || pattern.isNull()) {
            return null;
        }
        if (!pattern.isObject() || pattern.isEmpty()) {
            throw bad("'filter' must be a non-empty JSON object");
        }
        if (pattern.toString().length() > MAX_BYTES) {
            throw bad("'filter' is larger than " + MAX_BYTES + " bytes");
        }
        check(pattern, "filter", 1);
        return new EventFilter(pattern.deepCopy());
    }

    private static void check(JsonNode node, String at, int depth) {
        if (depth > MAX_DEPTH) {
            throw bad("'" + at + "' nests deeper than " + MAX_DEPTH + " levels");
        }
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            String field = at + "." + e.getKey();
            JsonNode v = e.getValue();
            if (v.isObject()) {
                if (v.isEmpty()) {
                    throw bad("'" + field + "' must not be an empty object");
                }
                check(v, field, depth + 1);
            } else if (v.isArray()) {
                if (v.isEmpty() || v.size() > MAX_VALUES) {
                    throw bad("'" + field + "' must list 1 to " + MAX_VALUES + " values");
                }
                for (JsonNode x : v) {
                    if (!x.isValueNode()) {
                        throw bad(
                                "'" + field + "' may only list strings, numbers, booleans or null");
                    }
                }
            } else {
                throw bad("'" + field + "' must be an array of values or an object");
            }
        }
    }

    /** Whether {@code event} (parsed JSON, or null when the payload is not JSON) matches. */
    boolean matches(JsonNode event) {
        return event != null && event.isObject() && matches(pattern, event);
    }

    private static boolean matches(JsonNode pattern, JsonNode event) {
        for (Map.Entry<String, JsonNode> e : pattern.properties()) {
            JsonNode actual = event.get(e.getKey());
            if (actual == null) {
                return false;
            }
            JsonNode want = e.getValue();
            if (want.isObject()) {
                if (!actual.isObject() || !matches(want, actual)) {
                    return false;
                }
            } else if (!anyValueMatches(want, actual)) {
                return false;
            }
        }
        return true;
    }

    /** An array in the event matches when any of its elements does, as in EventBridge. */
    private static boolean anyValueMatches(JsonNode allowed, JsonNode actual) {
        if (actual.isArray()) {
            for (JsonNode element : actual) {
                if (element.isValueNode() && oneOf(allowed, element)) {
                    return true;
                }
            }
            return false;
        }
        return actual.isValueNode() && oneOf(allowed, actual);
    }

    private static boolean oneOf(JsonNode allowed, JsonNode value) {
        for (JsonNode a : allowed) {
            if ((a.isNumber() && value.isNumber())
                    ? a.decimalValue().compareTo(value.decimalValue()) == 0
                    : a.equals(value)) {
                return true;
            }
        }
        return false;
    }

    private static KilnException bad(String message) {
        return new KilnException(ErrorCode.BAD_REQUEST, message);
    }
}
