package dev.kiln.conformance;

import java.util.Map;

/**
 * One request of a case and what it must answer.
 *
 * @param kind {@code invoke} (POST …/invoke), {@code http} (the HTTP trigger, {@code path} is
 *     appended to {@code /fn/{service}/{function}}) or {@code api} ({@code path} is absolute and
 *     may use {@code {service}} and {@code {function}})
 * @param auth whether to send the admin token ({@code api} and {@code invoke} only)
 * @param repeat how many times to send it; every answer must match
 * @param delayMs how long to wait before sending it
 * @param background send it without waiting for the answer (the next step goes at once); its answer
 *     is checked when the case's other steps are done
 */
record Step(
        String kind,
        String method,
        String path,
        Map<String, String> headers,
        byte[] body,
        boolean auth,
        int repeat,
        int delayMs,
        boolean background,
        Expectation expect) {}
