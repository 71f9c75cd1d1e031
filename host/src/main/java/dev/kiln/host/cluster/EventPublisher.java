package dev.kiln.host.cluster;

import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.FunctionName;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.events.EventQueue.Overflow;
import dev.kiln.host.events.FireMark;
import dev.kiln.host.events.NewEvent;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.PublishOptions;
import io.nats.client.api.PublishAck;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.ToIntFunction;

/**
 * Puts events into the {@code KILN_EVENTS} stream (docs/adr/0053): within their functions' queue
 * bounds, each under a message id the stream de-duplicates by, complete only once JetStream has
 * acknowledged every one. A timer fire's events are named by the timer and its scheduled time, so
 * every node may fire it and the stream keeps one.
 */
final class EventPublisher {
    private static final Duration PUBLISH_WAIT = Duration.ofSeconds(10);

    private final Connection nc;
    private final JetStream js;
    private final StreamedEventReads reads;
    private final FireMarks marks;
    private final ToIntFunction<FunctionName> maxQueuedOf;

    EventPublisher(
            Connection nc,
            JetStream js,
            StreamedEventReads reads,
            FireMarks marks,
            ToIntFunction<FunctionName> maxQueuedOf) {
        this.nc = nc;
        this.js = js;
        this.reads = reads;
        this.marks = marks;
        this.maxQueuedOf = maxQueuedOf;
    }

    long depth(FunctionName fn) {
        return reads.depth(fn);
    }

    boolean stored(List<NewEvent> events, FireMark mark, Overflow overflow) {
        // Refused at once while NATS is unreachable (docs/adr/0048), not after the publish wait.
        if (nc.getStatus() != Connection.Status.CONNECTED) {
            throw new KilnException(
                    ErrorCode.UNAVAILABLE,
                    "this node cannot reach NATS JetStream to store the event; retry later");
        }
        try {
            if (mark != null) {
                Optional<Instant> last = marks.last(mark.key());
                if (last.isPresent() && !mark.scheduledAt().isAfter(last.get())) {
                    return false;
                }
            }
            boolean fits = fits(events, overflow);
            if (fits) {
                // A fire's events are named by their timer and time: every node may fire it, the
                // stream keeps one (docs/adr/0053).
                List<String> ids = new ArrayList<>();
                for (int i = 0; i < events.size(); i++) {
                    ids.add(
                            mark == null
                                    ? events.get(i).requestId()
                                    : mark.key()
                                            + "@"
                                            + mark.scheduledAt().toEpochMilli()
                                            + "#"
                                            + i);
                }
                publish(events, ids, Instant.now());
            }
            if (mark != null) {
                marks.advance(mark);
            }
            return fits;
        } catch (IOException | JetStreamApiException e) {
            throw Unavailable.of("storing the event failed", e);
        }
    }

    /** Whether the events fit their functions' queues; refuses them for {@code REJECT}. */
    private boolean fits(List<NewEvent> events, Overflow overflow) {
        Map<FunctionName, Integer> perFunction = new TreeMap<>();
        for (NewEvent e : events) {
            perFunction.merge(e.functionKey(), 1, Integer::sum);
        }
        for (var entry : perFunction.entrySet()) {
            long max = maxQueuedOf.applyAsInt(entry.getKey());
            if (reads.depth(entry.getKey()) + entry.getValue() > max) {
                if (overflow == Overflow.DROP_EVENTS) {
                    return false;
                }
                throw new KilnException(
                        ErrorCode.OVERLOADED,
                        "the event queue of "
                                + entry.getKey()
                                + " is full ("
                                + max
                                + " events); retry later");
            }
        }
        return true;
    }

    /** Publishes each event under its message id and waits until JetStream stored every one. */
    void publish(List<NewEvent> events, List<String> ids, Instant createdAt) throws IOException {
        List<CompletableFuture<PublishAck>> acks = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            acks.add(
                    js.publishAsync(
                            EventMessages.message(events.get(i), createdAt),
                            PublishOptions.builder()
                                    .messageId(ids.get(i))
                                    .expectedStream(Buckets.EVENTS)
                                    .build()));
        }
        try {
            CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new))
                    .get(PUBLISH_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IOException("JetStream did not acknowledge the event", e);
        }
        reads.added(events);
    }
}
