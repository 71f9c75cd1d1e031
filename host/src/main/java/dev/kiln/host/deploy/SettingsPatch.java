package dev.kiln.host.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.registry.FunctionSettings;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A partial change of function settings, as sent by {@code PATCH} or carried in {@code kiln.json}.
 * Absent fields keep their value; {@code env} is merged like a JSON merge patch (a {@code null}
 * value removes the key); {@code wasiReadOnlyDirs} is replaced as a whole ({@code {}} clears it),
 * as is {@code allowedOutboundHosts} ({@code []} clears it).
 */
public record SettingsPatch(
        String handler,
        String abi,
        Integer timeoutMs,
        Integer memoryMiB,
        Map<String, String> env,
        String description,
        Long fuel,
        Integer maxConcurrency,
        Map<String, String> wasiReadOnlyDirs,
        String isolation,
        Integer minInstances,
        Integer maxInstances,
        String httpAuth,
        String record,
        List<String> allowedOutboundHosts) {

    public static final SettingsPatch EMPTY =
            new SettingsPatch(
                    null, null, null, null, null, null, null, null, null, null, null, null, null,
                    null, null);

    /** A patch from before {@code allowedOutboundHosts}: leaves it as it is. */
    public SettingsPatch(
            String handler,
            String abi,
            Integer timeoutMs,
            Integer memoryMiB,
            Map<String, String> env,
            String description,
            Long fuel,
            Integer maxConcurrency,
            Map<String, String> wasiReadOnlyDirs,
            String isolation,
            Integer minInstances,
            Integer maxInstances,
            String httpAuth,
            String record) {
        this(
                handler,
                abi,
                timeoutMs,
                memoryMiB,
                env,
                description,
                fuel,
                maxConcurrency,
                wasiReadOnlyDirs,
                isolation,
                minInstances,
                maxInstances,
                httpAuth,
                record,
                null);
    }

    /** The setting naming where a guest's outbound HTTP may go (docs/adr/0040). */
    static final String ALLOWED_OUTBOUND_HOSTS = "allowedOutboundHosts";

    /** The setting that grants host directories: an administrator's PATCH only. */
    static final String WASI_READ_ONLY_DIRS = "wasiReadOnlyDirs";

    private static final Set<String> FIELDS =
            Set.of(
                    "handler",
                    "abi",
                    "timeoutMs",
                    "memoryMiB",
                    "env",
                    "description",
                    "fuel",
                    "maxConcurrency",
                    WASI_READ_ONLY_DIRS,
                    "isolation",
                    "minInstances",
                    "maxInstances",
                    "httpAuth",
                    "record",
                    ALLOWED_OUTBOUND_HOSTS);

    /**
     * Reads a patch from JSON, refusing unknown fields and wrong types.
     *
     * @param extraFields fields the caller handles itself (such as {@code module} in kiln.json)
     */
    public static SettingsPatch fromJson(JsonNode json, String where, Set<String> extraFields) {
        if (json == null || !json.isObject()) {
            throw bad(where + " must be a JSON object");
        }
        for (Iterator<String> it = json.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!FIELDS.contains(field) && !extraFields.contains(field)) {
                throw bad(where + ": unknown field '" + field + "'");
            }
        }
        Map<String, String> env = null;
        JsonNode envNode = json.get("env");
        if (envNode != null && !envNode.isNull()) {
            if (!envNode.isObject()) {
                throw bad(where + ": 'env' must be an object of strings");
            }
            env = new LinkedHashMap<>();
            for (var e : envNode.properties()) {
                if (!e.getValue().isTextual() && !e.getValue().isNull()) {
                    throw bad(where + ": env value of '" + e.getKey() + "' must be a string");
                }
                env.put(e.getKey(), e.getValue().isNull() ? null : e.getValue().asText());
            }
        }
        return new SettingsPatch(
                text(json, "handler", where),
                text(json, "abi", where),
                integer(json, "timeoutMs", where),
                integer(json, "memoryMiB", where),
                env,
                text(json, "description", where),
                json.has("fuel") && !json.get("fuel").isNull()
                        ? longValue(json, "fuel", where)
                        : null,
                integer(json, "maxConcurrency", where),
                stringMap(json, WASI_READ_ONLY_DIRS, where),
                text(json, "isolation", where),
                integer(json, "minInstances", where),
                integer(json, "maxInstances", where),
                text(json, "httpAuth", where),
                text(json, "record", where),
                stringList(json, ALLOWED_OUTBOUND_HOSTS, where));
    }

    /** An array of strings, or null when absent. */
    private static List<String> stringList(JsonNode json, String field, String where) {
        JsonNode n = json.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isArray()) {
            throw bad(where + ": '" + field + "' must be an array of strings");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode e : n) {
            if (!e.isTextual()) {
                throw bad(where + ": '" + field + "' must be an array of strings");
            }
            out.add(e.asText());
        }
        return out;
    }

    /** An object of strings, or null when absent. */
    private static Map<String, String> stringMap(JsonNode json, String field, String where) {
        JsonNode n = json.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isObject()) {
            throw bad(where + ": '" + field + "' must be an object of strings");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (var e : n.properties()) {
            if (!e.getValue().isTextual()) {
                throw bad(where + ": " + field + " value of '" + e.getKey() + "' must be a string");
            }
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }

    private static long longValue(JsonNode json, String field, String where) {
        JsonNode n = json.get(field);
        if (!n.isIntegralNumber() || !n.canConvertToLong()) {
            throw bad(where + ": '" + field + "' must be an integer");
        }
        return n.asLong();
    }

    /** Applies this patch on top of {@code base}. */
    public FunctionSettings applyTo(FunctionSettings base) {
        Map<String, String> mergedEnv = base.env();
        if (env != null) {
            Map<String, String> m = new HashMap<>(base.env());
            env.forEach(
                    (k, v) -> {
                        if (v == null) {
                            m.remove(k);
                        } else {
                            m.put(k, v);
                        }
                    });
            mergedEnv = m;
        }
        return new FunctionSettings(
                handler != null ? handler : base.handler(),
                abi != null ? abi : base.abi(),
                timeoutMs != null ? timeoutMs : base.timeoutMs(),
                memoryMiB != null ? memoryMiB : base.memoryMiB(),
                mergedEnv,
                description != null ? description : base.description(),
                fuel != null ? fuel : base.fuel(),
                maxConcurrency != null ? maxConcurrency : base.maxConcurrency(),
                wasiReadOnlyDirs != null ? wasiReadOnlyDirs : base.wasiReadOnlyDirs(),
                isolation != null ? isolation : base.isolation(),
                minInstances != null ? minInstances : base.minInstances(),
                maxInstances != null ? maxInstances : base.maxInstances(),
                httpAuth != null ? httpAuth : base.httpAuth(),
                record != null ? record : base.record(),
                allowedOutboundHosts != null ? allowedOutboundHosts : base.allowedOutboundHosts());
    }

    private static String text(JsonNode json, String field, String where) {
        JsonNode n = json.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isTextual()) {
            throw bad(where + ": '" + field + "' must be a string");
        }
        return n.asText();
    }

    private static Integer integer(JsonNode json, String field, String where) {
        JsonNode n = json.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw bad(where + ": '" + field + "' must be an integer");
        }
        return n.asInt();
    }

    private static KilnException bad(String message) {
        return new KilnException(ErrorCode.BAD_REQUEST, message);
    }
}
