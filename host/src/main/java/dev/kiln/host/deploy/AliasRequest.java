package dev.kiln.host.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * An alias as a client writes it, Function Compute's shape: {@code {"version": 3,
 * "additionalVersionWeight": {"4": 0.1}, "description": "..."}} (docs/adr/0037).
 *
 * @param additionalVersion 0 for none
 */
public record AliasRequest(
        int version, int additionalVersion, double additionalWeight, String description) {

    /** Longest description, as Lambda's. */
    public static final int MAX_DESCRIPTION = 256;

    /** Fields a GET answers with that a PUT may send back unchanged. */
    private static final Set<String> IGNORED = Set.of("createdAt", "updatedAt");

    private static final Set<String> FIELDS =
            Set.of("name", "version", "additionalVersionWeight", "description");

    /**
     * Reads an alias document for alias {@code name}.
     *
     * @throws KilnException {@code bad_request} naming the field that is wrong
     */
    public static AliasRequest fromJson(JsonNode json, String name) {
        if (json == null || !json.isObject()) {
            throw bad("an alias must be a JSON object");
        }
        for (Iterator<String> it = json.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!FIELDS.contains(f) && !IGNORED.contains(f)) {
                throw bad("unknown field '" + f + "' for an alias");
            }
        }
        JsonNode n = json.get("name");
        if (n != null && !(n.isTextual() && n.asText().equals(name))) {
            throw bad("'name' must be the alias name of the path, " + name);
        }
        int version = versionNumber(json.get("version"), "'version'");
        int additional = 0;
        double weight = 0;
        JsonNode weights = json.get("additionalVersionWeight");
        if (weights != null && !weights.isNull()) {
            if (!weights.isObject()) {
                throw bad(
                        "'additionalVersionWeight' must be an object of one version number to a"
                                + " weight from 0 to 1, e.g. {\"4\": 0.1}");
            }
            if (weights.size() > 1) {
                throw bad("'additionalVersionWeight' may name at most one additional version");
            }
            for (Map.Entry<String, JsonNode> e : weights.properties()) {
                additional = versionKey(e.getKey());
                JsonNode w = e.getValue();
                if (!w.isNumber() || w.asDouble() < 0 || w.asDouble() > 1) {
                    throw bad(
                            "'additionalVersionWeight' of version "
                                    + additional
                                    + " must be a number from 0 to 1");
                }
                weight = w.asDouble();
                if (additional == version) {
                    throw bad(
                            "'additionalVersionWeight' names version "
                                    + version
                                    + ", which is already the alias's version");
                }
            }
        }
        JsonNode d = json.get("description");
        String description = "";
        if (d != null && !d.isNull()) {
            if (!d.isTextual() || d.asText().length() > MAX_DESCRIPTION) {
                throw bad(
                        "'description' must be a string of at most " + MAX_DESCRIPTION + " chars");
            }
            description = d.asText();
        }
        return new AliasRequest(version, additional, weight, description);
    }

    private static int versionNumber(JsonNode n, String what) {
        if (n == null || !n.canConvertToInt() || !n.isIntegralNumber() || n.asInt() < 1) {
            // A string such as "3" is accepted too: Function Compute's versionId is one.
            if (n != null && n.isTextual()) {
                return versionKey(n.asText());
            }
            throw bad(what + " must be a version number from 1");
        }
        return n.asInt();
    }

    private static int versionKey(String text) {
        if (text.isEmpty()
                || text.length() > 9
                || !text.chars().allMatch(c -> c >= '0' && c <= '9')
                || Integer.parseInt(text) < 1) {
            throw bad(
                    "'additionalVersionWeight' and 'version' take version numbers from 1 (LATEST"
                            + " and aliases cannot be an alias's versions); got '"
                            + text.replaceAll("[^\\x20-\\x7e]", "?")
                            + "'");
        }
        return Integer.parseInt(text);
    }

    private static KilnException bad(String message) {
        return new KilnException(ErrorCode.BAD_REQUEST, message);
    }
}
