package dev.kiln.host.cluster;

import dev.kiln.host.core.FunctionName;
import dev.kiln.host.events.DeadLetter;
import dev.kiln.host.events.EventQueue;
import dev.kiln.host.events.NewEvent;
import dev.kiln.host.events.QueuedEvent;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.KeyValue;
import io.nats.client.PurgeOptions;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.StreamInfoOptions;
import io.nats.client.api.Subject;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What the API reads of the cluster's queues (docs/adr/0053): depth per function from the stream's
 * per-subject counts (read at each request; the queue bounds use a copy read at most every 250 ms,
 * adjusted by this node's own publishes and acknowledgements meanwhile), the oldest event's age
 * from the first message of its subject, the listing from the stream's messages, dead letters from
 * their bucket. Events being attempted are counted per node (this node's own).
 */
final class StreamedEventReads {
    private static final long DEPTH_FRESH_NANOS = 250_000_000L;
    private static final int MAX_SCAN = 100_000;

    private final JetStreamManagement jsm;
    private final KeyValue deadLetters;
    private final KeyValue states;
    private Map<FunctionName, Long> depths = Map.of(); // guarded by this
    private long depthsReadAt; // guarded by this

    private final ShortReads reads;

    StreamedEventReads(Connection nc, KeyValue deadLetters, KeyValue states) throws IOException {
        this.jsm = nc.jetStreamManagement(Buckets.JS_OPTIONS);
        this.reads = new ShortReads(nc);
        this.deadLetters = deadLetters;
        this.states = states;
    }

    // ---------------------------------------------------------------- depth

    long depth(FunctionName fn) {
        return depths().getOrDefault(fn, 0L);
    }

    /** Depths for the queue bounds: read again when older than 250 ms. */
    private synchronized Map<FunctionName, Long> depths() {
        long now = System.nanoTime();
        if (depthsReadAt == 0 || now - depthsReadAt > DEPTH_FRESH_NANOS) {
            depths = readDepths(Buckets.EVENT_SUBJECTS);
            depthsReadAt = now;
        }
        return depths;
    }

    /** The stream's message counts per function, of the subjects {@code filter} matches, now. */
    private Map<FunctionName, Long> readDepths(String filter) {
        Map<FunctionName, Long> read = new HashMap<>();
        try {
            var info = jsm.getStreamInfo(Buckets.EVENTS, StreamInfoOptions.filterSubjects(filter));
            List<Subject> subjects = info.getStreamState().getSubjects();
            if (subjects != null) {
                for (Subject s : subjects) {
                    if (s.getCount() > 0) {
                        read.put(EventMessages.function(s.getName()), s.getCount());
                    }
                }
            }
        } catch (IOException | JetStreamApiException e) {
            throw Unavailable.of("reading the queues failed", e);
        }
        return read;
    }

    /** This node published {@code events}: counted before the next read of the stream. */
    synchronized void added(List<NewEvent> events) {
        Map<FunctionName, Long> next = new HashMap<>(depths);
        events.forEach(e -> next.merge(e.functionKey(), 1L, Long::sum));
        depths = next;
    }

    /** This node acknowledged an event of {@code fn}. */
    synchronized void removed(FunctionName fn) {
        Map<FunctionName, Long> next = new HashMap<>(depths);
        next.computeIfPresent(fn, (k, n) -> n <= 1 ? null : n - 1);
        depths = next;
    }

    // ---------------------------------------------------------------- stats

    /** A function's figures as the API shows them: read now, not from the bounds' cache. */
    EventQueue.Stats stats(FunctionName fn, long leased) {
        long depth =
                readDepths(EventMessages.subject(fn.service(), fn.function())).getOrDefault(fn, 0L);
        return new EventQueue.Stats(
                depth,
                leased,
                depth > 0 ? oldestCreatedAt(fn) : null,
                deadLetterKeys(fn.service(), fn.function()).size());
    }

    Map<FunctionName, EventQueue.Stats> allStats(Map<FunctionName, Integer> leased) {
        Map<FunctionName, Long> dead = new TreeMap<>();
        try {
            for (String k : deadLetterKeys(">")) {
                String[] parts = k.split("\\.", 3);
                if (parts.length == 3) {
                    dead.merge(new FunctionName(parts[0], parts[1]), 1L, Long::sum);
                }
            }
        } catch (IOException | JetStreamApiException e) {
            throw Unavailable.of("reading the dead letters failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Unavailable.of("reading the dead letters was interrupted", e);
        }
        Map<FunctionName, Long> depth = readDepths(Buckets.EVENT_SUBJECTS);
        synchronized (this) {
            depths = depth;
            depthsReadAt = System.nanoTime();
        }
        Map<FunctionName, EventQueue.Stats> out = new TreeMap<>();
        List<FunctionName> all = new ArrayList<>(depth.keySet());
        all.addAll(dead.keySet());
        all.addAll(leased.keySet());
        for (FunctionName fn : all) {
            long d = depth.getOrDefault(fn, 0L);
            out.put(
                    fn,
                    new EventQueue.Stats(
                            d,
                            leased.getOrDefault(fn, 0),
                            d > 0 ? oldestCreatedAt(fn) : null,
                            dead.getOrDefault(fn, 0L)));
        }
        return out;
    }

    private Instant oldestCreatedAt(FunctionName fn) {
        try {
            MessageInfo first =
                    jsm.getFirstMessage(
                            Buckets.EVENTS, EventMessages.subject(fn.service(), fn.function()));
            return EventMessages.createdAt(first.getHeaders());
        } catch (JetStreamApiException e) {
            return null; // gone meanwhile
        } catch (IOException e) {
            throw Unavailable.of("reading the queue failed", e);
        }
    }

    // ---------------------------------------------------------------- events

    EventMessages.RetryState state(long seq) {
        try {
            KeyValueEntry e = states.get(JetStreamEventQueue.stateKey(seq));
            return e == null || e.getValue() == null ? null : EventMessages.state(e.getValue());
        } catch (IOException | JetStreamApiException e) {
            throw Unavailable.of("reading an event's attempts failed", e);
        }
    }

    List<QueuedEvent> queued(String service, String function, int limit, long afterSeq) {
        List<QueuedEvent> out = new ArrayList<>();
        scan(
                service,
                function,
                afterSeq,
                m -> {
                    out.add(EventMessages.event(m, state(m.getSeq()), false));
                    return out.size() < limit;
                });
        return out;
    }

    Optional<QueuedEvent> queuedEvent(String service, String function, String requestId) {
        QueuedEvent[] found = {null};
        scan(
                service,
                function,
                0,
                m -> {
                    if (requestId.equals(EventMessages.requestId(m.getHeaders()))) {
                        found[0] = EventMessages.event(m, state(m.getSeq()), true);
                        return false;
                    }
                    return true;
                });
        return Optional.ofNullable(found[0]);
    }

    private interface Visitor {
        /** Returns whether to go on. */
        boolean visit(MessageInfo m);
    }

    /** The function's stored messages, oldest first, after sequence {@code afterSeq}. */
    private void scan(String service, String function, long afterSeq, Visitor visitor) {
        String subject = EventMessages.subject(service, function);
        long seq = afterSeq + 1;
        try {
            for (int i = 0; i < MAX_SCAN; i++) {
                MessageInfo m;
                try {
                    m = jsm.getNextMessage(Buckets.EVENTS, seq, subject);
                } catch (JetStreamApiException e) {
                    return; // none left
                }
                if (m == null || !visitor.visit(m)) {
                    return;
                }
                seq = m.getSeq() + 1;
            }
        } catch (IOException e) {
            throw Unavailable.of("reading the queue failed", e);
        }
    }

    // ---------------------------------------------------------------- dead letters

    private List<String> deadLetterKeys(String filter)
            throws IOException, JetStreamApiException, InterruptedException {
        return reads.keys(
                Buckets.DEAD_LETTERS, filter, System.nanoTime() + ShortReads.READ_WAIT.toNanos());
    }

    private List<String> deadLetterKeys(String service, String function) {
        try {
            return deadLetterKeys(EventMessages.deadLetterPrefix(service, function) + "*");
        } catch (IOException | JetStreamApiException e) {
            throw Unavailable.of("reading the dead letters failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Unavailable.of("reading the dead letters was interrupted", e);
        }
    }

    /** The function's dead letters ({@code requestId}'s only, unless null), oldest first. */
    List<EventMessages.StoredDeadLetter> storedDeadLetters(
            String service, String function, String requestId) {
        List<String> keys =
                requestId == null
                        ? deadLetterKeys(service, function)
                        : List.of(EventMessages.deadLetterKey(service, function, requestId));
        List<EventMessages.StoredDeadLetter> out = new ArrayList<>();
        try {
            for (String k : keys) {
                KeyValueEntry e = deadLetters.get(k);
                if (e != null && e.getValue() != null) {
                    out.add(EventMessages.deadLetter(e.getValue(), e.getRevision(), true));
                }
            }
        } catch (IOException | JetStreamApiException e) {
            throw Unavailable.of("reading the dead letters failed", e);
        }
        out.sort(Comparator.comparingLong(l -> l.letter().seq()));
        return out;
    }

    List<DeadLetter> deadLetters(String service, String function, int limit, long beforeSeq) {
        List<EventMessages.StoredDeadLetter> all = storedDeadLetters(service, function, null);
        List<DeadLetter> out = new ArrayList<>();
        for (int i = all.size() - 1; i >= 0 && out.size() < limit; i--) {
            DeadLetter d = all.get(i).letter();
            if (beforeSeq <= 0 || d.seq() < beforeSeq) {
                out.add(withoutPayload(d));
            }
        }
        return out;
    }

    private static DeadLetter withoutPayload(DeadLetter d) {
        var f = d.fields();
        return new DeadLetter(
                d.seq(),
                new dev.kiln.host.events.EventFields(
                        f.requestId(),
                        f.service(),
                        f.function(),
                        f.trigger(),
                        f.source(),
                        new byte[0]),
                d.createdAt(),
                d.deadLetteredAt(),
                d.attempts(),
                d.reason(),
                d.errorCode(),
                d.errorMessage());
    }

    Optional<DeadLetter> deadLetter(String service, String function, String requestId) {
        return storedDeadLetters(service, function, requestId).stream()
                .map(EventMessages.StoredDeadLetter::letter)
                .findFirst();
    }

    /** Deletes every stored event and dead letter of a function. */
    void purge(String service, String function)
            throws IOException, JetStreamApiException, InterruptedException {
        jsm.purgeStream(
                Buckets.EVENTS, PurgeOptions.subject(EventMessages.subject(service, function)));
        for (String k : deadLetterKeys(service, function)) {
            deadLetters.delete(k);
        }
        synchronized (this) {
            depthsReadAt = 0;
        }
    }
}
