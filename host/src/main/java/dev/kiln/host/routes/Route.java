package dev.kiln.host.routes;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.FunctionName;
import dev.kiln.host.core.KilnException;
import java.util.Iterator;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A custom-domain route ({@code PUT /api/v1/routes/{id}}): requests to {@code host} whose path
 * starts with {@code pathPrefix} go to {@code service/function} as HTTP trigger requests
 * (docs/adr/0038).
 *
 * @param id the route's name, chosen by its creator
 * @param host an exact host or a {@code *.} wildcard ({@link HostPattern})
 * @param pathPrefix the prefix the guest does not see ({@link PathPrefix})
 * @param qualifier {@code LATEST}, a version number or an alias ({@link Qualifier})
 */
public record Route(
        String id,
        String host,
        String pathPrefix,
        String service,
        String function,
        String qualifier) {

    /** Route ids follow the registry's rule for service and function names. */
    public static final Pattern NAME = FunctionName.NAME;

    /** The fields of a route's JSON body; any other is refused. */
    public static final List<String> FIELDS =
            List.of("host", "pathPrefix", "service", "function", "qualifier");

    /** The host as a pattern (parsed again: a stored route was checked when it was put). */
    public HostPattern hostPattern() {
        return HostPattern.parse(host);
    }

    /**
     * Reads a route from a {@code PUT} body. Refusals are {@code bad_request} with a message that
     * starts with the field ({@code host: ...}); an {@code id} in the body must equal the path's.
     */
    public static Route fromJson(String id, JsonNode json) {
        if (!NAME.matcher(id).matches()) {
            throw bad("id: must match " + NAME.pattern());
        }
        if (json == null || !json.isObject()) {
            throw bad("the route must be a JSON object");
        }
        for (Iterator<String> it = json.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (field.equals("id")) {
                if (!json.get("id").isTextual() || !json.get("id").asText().equals(id)) {
                    throw bad("id: must be the id in the path, or absent");
                }
            } else if (!FIELDS.contains(field)) {
                throw bad(
                        printable(field)
                                + ": unknown field; a route has "
                                + String.join(", ", FIELDS));
            }
        }
        String host;
        try {
            host = HostPattern.parse(text(json, "host")).text();
        } catch (IllegalArgumentException e) {
            throw bad("host: " + e.getMessage());
        }
        String prefix;
        try {
            prefix = PathPrefix.check(text(json, "pathPrefix"));
        } catch (IllegalArgumentException e) {
            throw bad("pathPrefix: " + e.getMessage());
        }
        String service = name(json, "service");
        String function = name(json, "function");
        String qualifier;
        try {
            qualifier = Qualifier.check(text(json, "qualifier"));
        } catch (IllegalArgumentException e) {
            throw bad("qualifier: " + e.getMessage());
        }
        return new Route(id, host, prefix, service, function, qualifier);
    }

    private static String name(JsonNode json, String field) {
        String v = text(json, field);
        if (!FunctionName.isValidName(v)) {
            throw bad(field + ": must match " + NAME.pattern());
        }
        return v;
    }

    /** The field's text, null when absent or null; refused when it is not a string. */
    private static String text(JsonNode json, String field) {
        JsonNode n = json.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isTextual()) {
            throw bad(field + ": must be a string");
        }
        return n.asText();
    }

    private static String printable(String s) {
        String t = s.replaceAll("[^\\x20-\\x7e]", "?");
        return t.length() > 64 ? t.substring(0, 64) + "..." : t;
    }

    private static KilnException bad(String message) {
        return new KilnException(ErrorCode.BAD_REQUEST, message);
    }
}
