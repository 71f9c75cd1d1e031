package dev.kiln.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/**
 * What an answer must look like; every field is optional.
 *
 * @param error the expected {@code error.code}
 * @param headers header values (case-insensitive names): exact, {@code "*"} present, {@code "!"}
 *     absent, or {@code "~regex"}
 * @param body the JSON object holding an exact body form ({@code body}, {@code bodyHex}, …), or
 *     null
 * @param bodyLength exact body length (a number or a {@code $limit±N} quantity), or null
 * @param bodyContains substrings the body must contain
 * @param bodyMatches a regular expression the whole body must match, or null
 * @param json a JSON value the body must match: objects by subset, strings {@code "*"} and {@code
 *     "~regex"} as for headers, {@code {"$contains": x}} an array holding an element matching x
 * @param fuel exact {@code X-Kiln-Fuel}, for deterministic guests
 * @param unique headers whose values must differ from every earlier answer of the case
 * @param same headers whose values must be equal in every answer of the step
 * @param atLeast for concurrent steps: answers that must match this alternative
 */
record Expectation(
        Integer status,
        String error,
        Map<String, String> headers,
        JsonNode body,
        JsonNode bodyLength,
        List<String> bodyContains,
        String bodyMatches,
        JsonNode json,
        Long fuel,
        List<String> unique,
        List<String> same,
        int atLeast) {}
