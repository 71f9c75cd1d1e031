package dev.kiln.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/**
 * What an answer must look like; every field is optional.
 *
 * @param error the expected {@code error.code}
 * @param headers header values (case-insensitive names); {@code "*"} only requires presence, {@code
 *     "!"} requires absence
 * @param body exact body (UTF-8), or null
 * @param bodyContains substrings the body must contain
 * @param json a JSON object whose fields must all appear, equal, in the JSON body
 * @param fuel exact {@code X-Kiln-Fuel}, for deterministic guests
 */
record Expectation(
        Integer status,
        String error,
        Map<String, String> headers,
        byte[] body,
        java.util.List<String> bodyContains,
        JsonNode json,
        Long fuel) {}
