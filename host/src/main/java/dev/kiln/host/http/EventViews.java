package dev.kiln.host.http;

import dev.kiln.host.events.DeadLetter;
import dev.kiln.host.events.QueuedEvent;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;

/** The JSON shapes of queued events and dead letters. Field names are part of the API. */
final class EventViews {
    private EventViews() {}

    /**
     * @param position the queue position, for paging with {@code after}
     * @param payload the payload as text when it is UTF-8 (single-event reads only)
     * @param payloadBase64 the payload as base64 (single-event reads only)
     */
    record Queued(
            long position,
            String requestId,
            String service,
            String function,
            String trigger,
            String source,
            String createdAt,
            int attempts,
            String nextAttemptAt,
            String lastError,
            String lastMessage,
            String payload,
            String payloadBase64) {
        static Queued of(QueuedEvent e, boolean withPayload) {
            return new Queued(
                    e.seq(),
                    e.requestId(),
                    e.service(),
                    e.function(),
                    e.trigger(),
                    e.source(),
                    iso(e.createdAt()),
                    e.attempts(),
                    iso(e.dueAt()),
                    e.lastError(),
                    e.lastMessage(),
                    withPayload ? text(e.payload()) : null,
                    withPayload ? Base64.getEncoder().encodeToString(e.payload()) : null);
        }
    }

    /**
     * @param reason {@code retries_exhausted} or {@code event_age_exceeded}
     * @param error the last attempt's error code
     */
    record Dead(
            long position,
            String requestId,
            String service,
            String function,
            String trigger,
            String source,
            String createdAt,
            String deadLetteredAt,
            int attempts,
            String reason,
            String error,
            String message,
            String payload,
            String payloadBase64) {
        static Dead of(DeadLetter d, boolean withPayload) {
            return new Dead(
                    d.seq(),
                    d.requestId(),
                    d.service(),
                    d.function(),
                    d.trigger(),
                    d.source(),
                    iso(d.createdAt()),
                    iso(d.deadLetteredAt()),
                    d.attempts(),
                    d.reason(),
                    d.errorCode(),
                    d.errorMessage(),
                    withPayload ? text(d.payload()) : null,
                    withPayload ? Base64.getEncoder().encodeToString(d.payload()) : null);
        }
    }

    private static String text(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException binary) {
            return null;
        }
    }

    private static String iso(Instant t) {
        return t == null ? null : t.toString();
    }
}
