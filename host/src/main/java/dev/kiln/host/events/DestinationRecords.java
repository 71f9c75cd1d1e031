package dev.kiln.host.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;

/**
 * The JSON a destination function receives about another function's event, shaped like Lambda's
 * invocation record: what was asked ({@code requestPayload}), what happened ({@code
 * requestContext.condition}, {@code responseContext}) and, on success, the result.
 */
final class DestinationRecords {
    private DestinationRecords() {}

    /**
     * @param condition {@code success}, {@code retries_exhausted} or {@code event_age_exceeded}
     * @param outcome {@code ok} or the last error code ({@code null} when no attempt ran)
     * @param response the result on success, else {@code null}
     * @param maxBytes the record's size cap: payloads that would exceed it are left out and flagged
     */
    static byte[] record(
            QueuedEvent event,
            String condition,
            int attempts,
            String outcome,
            String errorMessage,
            byte[] response,
            int maxBytes) {
        ObjectNode root = AsyncConfig.JSON.createObjectNode();
        root.put("version", "1.0");
        root.put("timestamp", Instant.now().toString());
        ObjectNode ctx = root.putObject("requestContext");
        ctx.put("requestId", event.requestId());
        ctx.put("service", event.service());
        ctx.put("function", event.function());
        ctx.put("source", event.source());
        ctx.put("condition", condition);
        ctx.put("approximateInvokeCount", attempts);
        ObjectNode resp = root.putObject("responseContext");
        resp.put("outcome", outcome);
        if (errorMessage != null) {
            resp.put("error", errorMessage);
        }
        // Payloads take what room is left, the request first; whatever does not fit is flagged.
        int budget = maxBytes - 2048;
        budget -= putPayload(root, "requestPayload", event.payload(), budget);
        if (response != null) {
            putPayload(root, "responsePayload", response, budget);
        }
        try {
            return AsyncConfig.JSON.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Adds {@code bytes} as JSON if they are JSON, as a string if they are UTF-8, else as base64
     * under {@code <field>Base64}; returns the bytes it used.
     */
    private static int putPayload(ObjectNode root, String field, byte[] bytes, int budget) {
        if (bytes.length * 4L / 3 + 8 > budget) {
            root.put(field + "Omitted", true);
            return 0;
        }
        if (bytes.length > 0) {
            try {
                JsonNode json = AsyncConfig.JSON.readTree(bytes);
                if (json != null && !json.isMissingNode()) {
                    root.set(field, json);
                    return bytes.length;
                }
            } catch (IOException notJson) {
                // Fall through to text or base64.
            }
        }
        try {
            String text =
                    StandardCharsets.UTF_8
                            .newDecoder()
                            .onMalformedInput(CodingErrorAction.REPORT)
                            .onUnmappableCharacter(CodingErrorAction.REPORT)
                            .decode(ByteBuffer.wrap(bytes))
                            .toString();
            root.put(field, text);
            return bytes.length;
        } catch (CharacterCodingException binary) {
            root.put(field + "Base64", Base64.getEncoder().encodeToString(bytes));
            return bytes.length * 4 / 3 + 4;
        }
    }
}
