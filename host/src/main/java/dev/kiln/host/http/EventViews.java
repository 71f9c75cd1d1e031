package dev.kiln.host.http;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
import dev.kiln.host.events.AnEvent;
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
     * What a queued event and a dead letter both show first, unwrapped into their JSON.
     *
     * @param position the queue position, for paging with {@code after}
     */
    record Head(
            long position,
            String requestId,
            String service,
            String function,
            String trigger,
            String source,
            String createdAt) {
        static Head of(long position, AnEvent e, Instant createdAt) {
            return new Head(
                    position,
                    e.requestId(),
                    e.service(),
                    e.function(),
                    e.trigger(),
                    e.source(),
                    iso(createdAt));
        }
    }

    /**
     * The payload, shown by single-event reads only (both fields absent in lists).
     *
     * @param payload the payload as text when it is UTF-8
     * @param payloadBase64 the payload as base64
     */
    record Payload(String payload, String payloadBase64) {
        static Payload of(byte[] bytes, boolean shown) {
            return shown
                    ? new Payload(text(bytes), Base64.getEncoder().encodeToString(bytes))
                    : new Payload(null, null);
        }
    }

    record Queued(
            @JsonUnwrapped Head head,
            int attempts,
            String nextAttemptAt,
            String lastError,
            String lastMessage,
            @JsonUnwrapped Payload payload) {
        static Queued of(QueuedEvent e, boolean withPayload) {
            return new Queued(
                    Head.of(e.seq(), e, e.createdAt()),
                    e.attempts(),
                    iso(e.dueAt()),
                    e.lastError(),
                    e.lastMessage(),
                    Payload.of(e.payload(), withPayload));
        }
    }

    /**
     * @param reason {@code retries_exhausted} or {@code event_age_exceeded}
     * @param error the last attempt's error code
     */
    record Dead(
            @JsonUnwrapped Head head,
            String deadLetteredAt,
            int attempts,
            String reason,
            String error,
            String message,
            @JsonUnwrapped Payload payload) {
        static Dead of(DeadLetter d, boolean withPayload) {
            return new Dead(
                    Head.of(d.seq(), d, d.createdAt()),
                    iso(d.deadLetteredAt()),
                    d.attempts(),
                    d.reason(),
                    d.errorCode(),
                    d.errorMessage(),
                    Payload.of(d.payload(), withPayload));
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
