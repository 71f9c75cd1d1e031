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
 * @param retryForMs for effects that happen later (queued events, timers): send again every 50 ms
 *     until the answer matches or this many milliseconds have passed; 0 sends once
 */
record Step(
        String kind,
        String method,
        String path,
        Map<String, String> headers,
        byte[] body,
        boolean auth,
        int repeat,
        Expectation expect,
        int retryForMs) {}
