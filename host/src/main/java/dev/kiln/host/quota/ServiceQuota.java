package dev.kiln.host.quota;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A service's quota ({@code PUT /api/v1/services/{s}/quota}); a null field is no limit.
 *
 * @param maxFunctions functions the service may hold (checked when one is created)
 * @param maxMemoryMiB what the {@code memoryMiB} of all its functions may add up to (checked at
 *     upload and PATCH)
 * @param maxConcurrency invocations of its functions running at once; more are refused at once with
 *     {@code rate_limited}
 * @param maxInvocationsPerSecond invocations started per second (a token bucket holding one
 *     second's worth); more are refused with {@code rate_limited} and {@code Retry-After}
 */
public record ServiceQuota(
        Integer maxFunctions,
        Integer maxMemoryMiB,
        Integer maxConcurrency,
        Integer maxInvocationsPerSecond) {

    public static final ServiceQuota NONE = new ServiceQuota(null, null, null, null);

    /** Largest value of each field, in field order: beyond these a quota is no limit at all. */
    public static final Map<String, Integer> MAXIMA = maxima();

    private static Map<String, Integer> maxima() {
        Map<String, Integer> m = new LinkedHashMap<>();
        m.put("maxFunctions", 1_000_000);
        m.put("maxMemoryMiB", 1 << 30);
        m.put("maxConcurrency", 1_000_000);
        m.put("maxInvocationsPerSecond", 1_000_000);
        return java.util.Collections.unmodifiableMap(m);
    }

    /** Whether no field is set. */
    @JsonIgnore
    public boolean isEmpty() {
        return equals(NONE);
    }

    /**
     * Reads a quota from a request body: an object with only the four fields, each an integer from
     * 1 up, or null (no limit). Refusals name the field.
     */
    public static ServiceQuota fromJson(JsonNode json) {
        if (json == null || !json.isObject()) {
            throw bad("the quota must be a JSON object");
        }
        for (Iterator<String> it = json.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!MAXIMA.containsKey(field)) {
                throw bad(
                        "unknown field '"
                                + printable(field)
                                + "'; a quota has "
                                + String.join(", ", MAXIMA.keySet()));
            }
        }
        return new ServiceQuota(
                field(json, "maxFunctions"),
                field(json, "maxMemoryMiB"),
                field(json, "maxConcurrency"),
                field(json, "maxInvocationsPerSecond"));
    }

    private static Integer field(JsonNode json, String name) {
        JsonNode n = json.get(name);
        if (n == null || n.isNull()) {
            return null;
        }
        int max = MAXIMA.get(name);
        if (!n.isIntegralNumber() || !n.canConvertToLong() || n.asLong() < 1 || n.asLong() > max) {
            throw bad(name + " must be an integer from 1 to " + max + ", or null for no limit");
        }
        return n.asInt();
    }

    private static String printable(String s) {
        String t = s.replaceAll("[^\\x20-\\x7e]", "?");
        return t.length() > 64 ? t.substring(0, 64) + "..." : t;
    }

    private static KilnException bad(String message) {
        return new KilnException(ErrorCode.BAD_REQUEST, "quota: " + message);
    }
}
