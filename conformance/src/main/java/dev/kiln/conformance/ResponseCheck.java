package dev.kiln.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Compares answers with expectations. Remembers the values of {@code unique} headers across the
 * whole case, so a repeated request id anywhere in the case fails it.
 */
final class ResponseCheck {
    private final CaseContext ctx;
    private final Map<String, Set<String>> seen = new HashMap<>();

    ResponseCheck(CaseContext ctx) {
        this.ctx = ctx;
    }

    /**
     * Null when {@code response} meets {@code e}, else what differed.
     *
     * @param sameValues the step's first value of each {@code same} header, filled as answers come
     */
    synchronized String check(
            String what,
            HttpResponse<byte[]> response,
            Expectation e,
            Map<String, String> sameValues) {
        String diff = compare(response, e, sameValues);
        return diff == null ? null : what + ": " + diff;
    }

    private String compare(
            HttpResponse<byte[]> response, Expectation e, Map<String, String> sameValues) {
        if (e.status() != null && response.statusCode() != e.status()) {
            return "status "
                    + response.statusCode()
                    + ", expected "
                    + e.status()
                    + "; body: "
                    + preview(response.body());
        }
        if (e.error() != null) {
            String code = errorCode(response);
            if (!e.error().equals(code)) {
                return "error code "
                        + code
                        + ", expected "
                        + e.error()
                        + "; body: "
                        + preview(response.body());
            }
        }
        for (var h : e.headers().entrySet()) {
            List<String> actual = response.headers().allValues(h.getKey());
            String expected = ctx.substitute(h.getValue());
            if (!headerMatches(expected, actual)) {
                return "header " + h.getKey() + " is " + actual + ", expected " + expected;
            }
        }
        if (e.body() != null) {
            byte[] expected = ctx.body(e.body());
            if (!Arrays.equals(expected, response.body())) {
                return "body " + preview(response.body()) + ", expected " + preview(expected);
            }
        }
        if (e.bodyLength() != null) {
            long expected = ctx.quantity(e.bodyLength());
            if (response.body().length != expected) {
                return "body has " + response.body().length + " bytes, expected " + expected;
            }
        }
        String text = new String(response.body(), StandardCharsets.UTF_8);
        for (String part : e.bodyContains()) {
            String p = ctx.substitute(part);
            if (!text.contains(p)) {
                return "body " + preview(response.body()) + " lacks " + p;
            }
        }
        if (e.bodyMatches() != null
                && !Pattern.compile(e.bodyMatches(), Pattern.DOTALL).matcher(text).matches()) {
            return "body " + preview(response.body()) + " does not match " + e.bodyMatches();
        }
        if (e.json() != null) {
            JsonNode actual;
            try {
                actual = CaseLoader.JSON.readTree(response.body());
            } catch (IOException x) {
                return "body is not JSON: " + preview(response.body());
            }
            String diff = jsonMatches("", e.json(), actual);
            if (diff != null) {
                return "JSON " + diff;
            }
        }
        if (e.fuel() != null) {
            String fuel = response.headers().firstValue("X-Kiln-Fuel").orElse("");
            if (!fuel.equals(String.valueOf(e.fuel()))) {
                return "X-Kiln-Fuel " + fuel + ", expected " + e.fuel();
            }
        }
        for (String name : e.same()) {
            String key = name.toLowerCase(Locale.ROOT);
            String v = response.headers().firstValue(name).orElse(null);
            if (v == null) {
                return "header " + name + " is missing";
            }
            String first = sameValues.putIfAbsent(key, v);
            if (first != null && !first.equals(v)) {
                return "header " + name + " is " + v + ", but " + first + " in an earlier answer";
            }
        }
        for (String name : e.unique()) {
            String key = name.toLowerCase(Locale.ROOT);
            String v = response.headers().firstValue(name).orElse(null);
            if (v == null) {
                return "header " + name + " is missing";
            }
            if (!seen.computeIfAbsent(key, k -> new HashSet<>()).add(v)) {
                return "header " + name + " repeats " + v + " from an earlier answer";
            }
        }
        return null;
    }

    private static boolean headerMatches(String expected, List<String> actual) {
        return switch (expected) {
            case "*" -> !actual.isEmpty();
            case "!" -> actual.isEmpty();
            default ->
                    expected.startsWith("~")
                            ? actual.size() == 1
                                    && Pattern.compile(expected.substring(1))
                                            .matcher(actual.get(0))
                                            .matches()
                            : String.join("\n", actual).equals(expected);
        };
    }

    /** Null when {@code actual} matches {@code expected}, else where it differs. */
    private String jsonMatches(String at, JsonNode expected, JsonNode actual) {
        String where = at.isEmpty() ? "(root)" : at;
        if (expected.isNull()) {
            return actual == null || actual.isNull()
                    ? null
                    : where + " is " + actual + ", expected none";
        }
        if (expected.isObject() && expected.has("$contains")) {
            if (actual == null || !actual.isArray()) {
                return where + " is " + actual + ", expected an array";
            }
            for (JsonNode element : actual) {
                if (jsonMatches(at, expected.get("$contains"), element) == null) {
                    return null;
                }
            }
            return where + " has no element matching " + expected.get("$contains");
        }
        if (expected.isObject()) {
            if (actual == null || !actual.isObject()) {
                return where + " is " + actual + ", expected an object";
            }
            for (Iterator<String> it = expected.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                String d = jsonMatches(at + "." + k, expected.get(k), actual.get(k));
                if (d != null) {
                    return d;
                }
            }
            return null;
        }
        if (expected.isArray()) {
            if (actual == null || !actual.isArray() || actual.size() != expected.size()) {
                return where + " is " + actual + ", expected " + expected;
            }
            for (int i = 0; i < expected.size(); i++) {
                String d = jsonMatches(at + "[" + i + "]", expected.get(i), actual.get(i));
                if (d != null) {
                    return d;
                }
            }
            return null;
        }
        if (expected.isTextual()) {
            String s = ctx.substitute(expected.asText());
            if (s.equals("*")) {
                return actual == null || actual.isNull() ? where + " is missing" : null;
            }
            if (s.startsWith("~")) {
                return actual != null
                                && actual.isValueNode()
                                && Pattern.compile(s.substring(1))
                                        .matcher(actual.asText())
                                        .matches()
                        ? null
                        : where + " is " + actual + ", expected to match " + s.substring(1);
            }
            return actual != null && actual.isTextual() && actual.asText().equals(s)
                    ? null
                    : where + " is " + actual + ", expected \"" + s + "\"";
        }
        return expected.equals(actual) ? null : where + " is " + actual + ", expected " + expected;
    }

    static String errorCode(HttpResponse<byte[]> response) {
        try {
            return CaseLoader.JSON
                    .readTree(response.body())
                    .path("error")
                    .path("code")
                    .asText(null);
        } catch (IOException e) {
            return null;
        }
    }

    /** The start of a body for a failure message: text as text, anything else as hex. */
    static String preview(byte[] body) {
        boolean text = true;
        for (byte b : body) {
            if ((b >= 0 && b < 0x20 && b != '\n' && b != '\t') || b == 0x7f) {
                text = false;
                break;
            }
        }
        if (!text) {
            int n = Math.min(body.length, 64);
            return "hex "
                    + java.util.HexFormat.of().formatHex(body, 0, n)
                    + (n < body.length ? "…(" + body.length + " bytes)" : "");
        }
        String s = new String(body, StandardCharsets.UTF_8);
        return s.length() > 200 ? s.substring(0, 200) + "…(" + body.length + " bytes)" : s;
    }
}
