package dev.kiln.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;

/**
 * Turns a failed answer into a {@link KilnException}: the API's error envelope, else the status.
 */
final class ErrorAnswers {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ErrorAnswers() {}

    static KilnException from(int status, byte[] body, HttpHeaders headers) {
        long retryAfter = -1;
        var header = headers.firstValue("retry-after");
        if (header.isPresent()) {
            try {
                retryAfter = Math.max(0, Long.parseLong(header.get().trim()));
            } catch (NumberFormatException e) {
                retryAfter = -1;
            }
        }
        try {
            JsonNode error = JSON.readTree(body).path("error");
            if (error.path("code").isTextual()) {
                return new KilnException(
                        error.path("code").asText(),
                        error.path("message").asText(),
                        error.path("requestId").isTextual()
                                ? error.path("requestId").asText()
                                : null,
                        status,
                        retryAfter);
            }
        } catch (IOException e) {
            // not the envelope: below
        }
        String text = new String(body, StandardCharsets.UTF_8);
        return new KilnException(
                "http_" + status,
                text.isEmpty() ? "HTTP " + status : text.substring(0, Math.min(200, text.length())),
                headers.firstValue("x-kiln-request-id").orElse(null),
                status,
                retryAfter);
    }
}
