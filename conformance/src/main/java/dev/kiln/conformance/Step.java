package dev.kiln.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/**
 * One request of a case and what it must answer.
 *
 * @param kind {@code invoke} (POST …/invoke), {@code http} (the HTTP trigger, {@code path} is
 *     appended to {@code /fn/{service}/{function}}) or {@code api} ({@code path} is absolute)
 * @param body the JSON object holding the body form ({@code body}, {@code bodyHex}, {@code module},
 *     {@code zip}…), resolved when the step runs
 * @param auth whether to send the admin token ({@code api} and {@code invoke} only)
 * @param repeat how many times to send it, one after another; every answer must match
 * @param concurrent how many copies to send at once; each answer must match one of {@code expect}
 * @param retryMs resend until the answer matches or this many milliseconds passed (for records the
 *     host writes off the request path)
 * @param chunked send the body without a Content-Length (chunked), as streaming clients do
 * @param framing header lines that frame the body instead of a Content-Length, sent with the body
 *     as written over a socket of its own (e.g. {@code Transfer-Encoding: gzip, chunked}); empty
 *     for the usual framing
 * @param capture variables to set from the answer: {@code header:<name>} or {@code json:<pointer>}
 * @param expect what the answer must look like; several only for concurrent steps
 * @param host a {@code Host} header of the case's own (for custom-domain routes), sent over a
 *     socket of its own; null for the target's own authority
 */
record Step(
        String kind,
        String method,
        String path,
        Map<String, String> headers,
        JsonNode body,
        boolean auth,
        int repeat,
        int concurrent,
        long retryMs,
        boolean chunked,
        Map<String, String> capture,
        List<Expectation> expect,
        List<String> framing,
        String host) {}
