package dev.kiln.host.cluster;

import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.FunctionName;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.events.Completion;
import dev.kiln.host.events.DeadLetter;
import dev.kiln.host.events.EventQueue;
import dev.kiln.host.events.FireMark;
import dev.kiln.host.events.NewEvent;
import dev.kiln.host.events.QueuedEvent;
import io.nats.client.Connection;
import io.nats.client.ConsumerContext;
import io.nats.client.FetchConsumeOptions;
import io.nats.client.FetchConsumer;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.Message;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.ToIntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's {@link EventQueue} (docs/adr/0053): events are messages of the work-queue stream
 * {@code KILN_EVENTS}, published with their request id as {@code Nats-Msg-Id} and acknowledged by
 * JetStream before the enqueue completes. Every node pulls from the one durable consumer {@code
 * kiln-dispatch}: a delivered message is this node's lease; a finished attempt acknowledges it, a
 * retry writes the event's attempts to {@code kiln-event-state} and asks for redelivery after the
 * backoff ({@code NakWithDelay}), a dead letter goes to the {@code kiln-dead-letters} bucket. A
 * node that dies holding messages loses nothing: they are delivered to another node once the ack
 * wait (15 s) passes, and that delivery counts the lost attempt.
 */
final class JetStreamEventQueue implements EventQueue {
    private static final Logger log = LoggerFactory.getLogger(JetStreamEventQueue.class);
    private static final Duration FETCH_WAIT = Duration.ofSeconds(1);
    private static final Duration PUBLISH_WAIT = Duration.ofSeconds(10);
    private static final Duration CAPPED_BACK_OFF = Duration.ofMillis(100);

    private final JetStream js;
    private final ConsumerContext consumer;
    private final KeyValue deadLetters;
    private final KeyValue states;
    private final FireMarks marks;
    private final StreamedEventReads reads;
    private final EventPublisher publisher;
    private final ToIntFunction<FunctionName> maxQueuedOf;
    private final int bufferCap;
    private final ExecutorService io = Executors.newVirtualThreadPerTaskExecutor();

    /** A delivered message waiting to start, or started: its event and the message to answer. */
    private record Held(QueuedEvent event, Message message, long delivered) {}

    // Delivered, not leased yet (in delivery order); and leased, by stream sequence.
    private final Map<Long, Held> buffered = new LinkedHashMap<>(); // guarded by this
    private final Map<Long, Held> leased = new ConcurrentHashMap<>();
    private final Map<FunctionName, Integer> leasedPerFunction = new ConcurrentHashMap<>();
    private volatile Runnable listener = () -> {};
    private volatile boolean running = true;
    private boolean pullFailing; // touched by the puller only
    private final Thread puller;
    private final Thread progress;

    JetStreamEventQueue(
            Connection nc,
            KeyValue deadLetters,
            KeyValue states,
            KeyValue marks,
            ToIntFunction<FunctionName> maxQueuedOf,
            int bufferCap)
            throws IOException {
        this.js = nc.jetStream(Buckets.JS_OPTIONS);
        try {
            this.consumer =
                    js.getStreamContext(Buckets.EVENTS).getConsumerContext(Buckets.DISPATCH);
        } catch (JetStreamApiException e) {
            throw new IOException("JetStream refused the consumer " + Buckets.DISPATCH, e);
        }
        this.deadLetters = deadLetters;
        this.states = states;
        this.marks = new FireMarks(nc, marks);
        this.maxQueuedOf = maxQueuedOf;
        this.bufferCap = Math.max(1, bufferCap);
        this.reads = new StreamedEventReads(nc, deadLetters, states);
        this.publisher = new EventPublisher(nc, js, reads, this.marks, maxQueuedOf);
        this.puller = new Thread(this::pullLoop, "kiln-event-puller");
        this.puller.setDaemon(true);
        this.progress = new Thread(this::progressLoop, "kiln-event-progress");
        this.progress.setDaemon(true);
        puller.start();
        progress.start();
    }

    // ---------------------------------------------------------------- enqueue

    @Override
    public CompletableFuture<Boolean> enqueue(
            List<NewEvent> events, FireMark mark, Overflow overflow) {
        List<NewEvent> copy = List.copyOf(events);
        return CompletableFuture.supplyAsync(() -> publisher.stored(copy, mark, overflow), io);
    }

    // ---------------------------------------------------------------- delivery

    /** Keeps up to {@code bufferCap} delivered events ready, waking the dispatcher for each. */
    private void pullLoop() {
        while (running) {
            int room;
            synchronized (this) {
                room = bufferCap - buffered.size();
                if (room <= 0) {
                    try {
                        wait(100);
                    } catch (InterruptedException e) {
                        return;
                    }
                    continue;
                }
            }
            try {
                FetchConsumer fetch =
                        consumer.fetch(
                                FetchConsumeOptions.builder()
                                        .maxMessages(room)
                                        .expiresIn(FETCH_WAIT.toMillis())
                                        .build());
                try {
                    Message m;
                    while (running && (m = fetch.nextMessage()) != null) {
                        accept(m);
                    }
                } finally {
                    fetch.close();
                }
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                if (running) {
                    // once per outage at warn: the connection's own log says when NATS is back
                    if (pullFailing) {
                        log.debug("taking events from JetStream failed again: {}", e.toString());
                    } else {
                        log.warn("taking events from JetStream failed; retrying: {}", e.toString());
                    }
                    pullFailing = true;
                    sleep(500);
                }
                continue;
            }
            pullFailing = false;
        }
    }

    private void accept(Message m) {
        long delivered = m.metaData().deliveredCount();
        EventMessages.RetryState state;
        try {
            state = delivered > 1 ? reads.state(m.metaData().streamSequence()) : null;
        } catch (KilnException x) {
            // NATS unreachable: the event stays in JetStream and comes back shortly
            m.nakWithDelay(Duration.ofSeconds(1));
            return;
        }
        QueuedEvent e;
        try {
            // Deliveries that ended with no state written (a node died during them) count as
            // attempts, as a lease on one node does.
            int before =
                    state == null
                            ? (int) (delivered - 1)
                            : state.attempts() + (int) (delivered - 1 - state.delivered());
            e = EventMessages.event(m, before + 1, state);
        } catch (RuntimeException x) {
            log.error("an unreadable message in {} was dropped: {}", Buckets.EVENTS, x.toString());
            m.term();
            return;
        }
        synchronized (this) {
            buffered.put(e.seq(), new Held(e, m, delivered));
        }
        listener.run();
    }

    @Override
    public CompletableFuture<List<QueuedEvent>> lease(
            int max, Instant now, ToIntFunction<FunctionName> inFlightCap) {
        List<QueuedEvent> out = new ArrayList<>();
        synchronized (this) {
            Iterator<Held> it = buffered.values().iterator();
            while (it.hasNext() && out.size() < max) {
                Held h = it.next();
                FunctionName fn = h.event().functionKey();
                int cap = inFlightCap.applyAsInt(fn);
                if (cap > 0 && leasedPerFunction.getOrDefault(fn, 0) >= cap) {
                    continue; // its function is at its cap on this node: it waits here
                }
                it.remove();
                leased.put(h.event().seq(), h);
                leasedPerFunction.merge(fn, 1, Integer::sum);
                out.add(h.event());
            }
            if (buffered.size() >= bufferCap) {
                // Full of events of functions at their cap: give them back for a moment, so they
                // never hold back the events of others (as on one node).
                List<Held> back = new ArrayList<>(buffered.values());
                buffered.clear();
                io.execute(() -> back.forEach(h -> giveBack(h, CAPPED_BACK_OFF)));
            }
            notifyAll(); // room to pull more
        }
        return CompletableFuture.completedFuture(out);
    }

    @Override
    public CompletableFuture<Void> complete(QueuedEvent event, Completion completion) {
        Held h = leased.get(event.seq());
        if (h == null) {
            return CompletableFuture.failedFuture(
                    new IllegalStateException("event " + event.requestId() + " is not leased"));
        }
        return CompletableFuture.runAsync(
                () -> {
                    try {
                        finish(h, completion);
                    } catch (IOException
                            | JetStreamApiException
                            | InterruptedException
                            | TimeoutException e) {
                        // Not acknowledged: JetStream delivers it again (the attempt counted).
                        h.message().nakWithDelay(Duration.ofSeconds(1));
                        throw Unavailable.of("completing the event failed", e);
                    } finally {
                        leased.remove(event.seq());
                        leasedPerFunction.computeIfPresent(
                                event.functionKey(), (k, n) -> n <= 1 ? null : n - 1);
                        listener.run();
                    }
                },
                io);
    }

    private void finish(Held h, Completion completion)
            throws IOException, JetStreamApiException, InterruptedException, TimeoutException {
        QueuedEvent e = h.event();
        long seq = e.seq();
        switch (completion) {
            case Completion.Done d -> {
                publishFollowUps(d.followUps());
                acknowledge(h);
            }
            case Completion.Retry r -> {
                int attempts = r.counted() ? e.attempts() : e.attempts() - 1;
                states.put(
                        stateKey(seq),
                        EventMessages.state(
                                new EventMessages.RetryState(
                                        h.delivered(),
                                        attempts,
                                        r.dueAt(),
                                        r.errorCode(),
                                        r.message())));
                Duration delay = Duration.between(Instant.now(), r.dueAt());
                h.message().nakWithDelay(delay.isNegative() ? Duration.ZERO : delay);
            }
            case Completion.DeadLettered d -> {
                if (d.keepInList()) {
                    deadLetters.put(
                            EventMessages.deadLetterKey(e.service(), e.function(), e.requestId()),
                            EventMessages.deadLetter(
                                    e,
                                    Instant.now(),
                                    d.attempts(),
                                    d.reason(),
                                    d.errorCode(),
                                    d.message()));
                }
                publishFollowUps(d.followUps());
                acknowledge(h);
            }
            case Completion.Discarded x -> acknowledge(h);
        }
    }

    private void publishFollowUps(List<NewEvent> followUps) throws IOException {
        if (!followUps.isEmpty()) {
            publisher.publish(
                    followUps, followUps.stream().map(NewEvent::requestId).toList(), Instant.now());
        }
    }

    /** Acknowledged once JetStream confirms: the event is gone for every node. */
    private void acknowledge(Held h)
            throws IOException, JetStreamApiException, InterruptedException, TimeoutException {
        h.message().ackSync(PUBLISH_WAIT);
        reads.removed(h.event().functionKey());
        if (h.delivered() > 1) {
            states.delete(stateKey(h.event().seq()));
        }
    }

    /** Back to JetStream for any node, without counting an attempt for this delivery. */
    private void giveBack(Held h, Duration delay) {
        QueuedEvent e = h.event();
        try {
            states.put(
                    stateKey(e.seq()),
                    EventMessages.state(
                            new EventMessages.RetryState(
                                    h.delivered(),
                                    e.attempts() - 1,
                                    Instant.now(),
                                    e.lastError(),
                                    e.lastMessage())));
        } catch (IOException | JetStreamApiException x) {
            log.warn("event {} goes back counting one attempt: {}", e.requestId(), x.toString());
        }
        h.message().nakWithDelay(delay);
    }

    static String stateKey(long seq) {
        return "s" + seq;
    }

    /** Tells JetStream every held message is still being worked on, so none is given away. */
    private void progressLoop() {
        while (running) {
            sleep(Buckets.PROGRESS_EVERY.toMillis());
            List<Held> held = new ArrayList<>(leased.values());
            synchronized (this) {
                held.addAll(buffered.values());
            }
            for (Held h : held) {
                try {
                    h.message().inProgress();
                } catch (RuntimeException e) {
                    // lost connection: JetStream redelivers it after the ack wait, as it must
                }
            }
        }
    }

    @Override
    public Optional<Instant> nextDueAfter(Instant now) {
        return Optional.empty(); // the puller wakes the dispatcher for every delivered event
    }

    @Override
    public void onChange(Runnable listener) {
        this.listener = listener;
    }

    // ---------------------------------------------------------------- reads

    @Override
    public Stats stats(String service, String function) {
        var fn = new FunctionName(service, function);
        return reads.stats(fn, leasedPerFunction.getOrDefault(fn, 0));
    }

    @Override
    public Map<FunctionName, Stats> allStats() {
        return reads.allStats(leasedPerFunction);
    }

    @Override
    public Optional<Instant> lastMark(String key) {
        return marks.last(key);
    }

    @Override
    public CompletableFuture<Boolean> deleteMark(String key) {
        return CompletableFuture.supplyAsync(() -> marks.delete(key), io);
    }

    @Override
    public CompletableFuture<Integer> deleteMarksWithPrefix(String prefix) {
        return CompletableFuture.supplyAsync(() -> marks.deleteWithPrefix(prefix), io);
    }

    @Override
    public List<QueuedEvent> queued(String service, String function, int limit, long afterSeq) {
        return reads.queued(service, function, limit, afterSeq);
    }

    @Override
    public Optional<QueuedEvent> queuedEvent(String service, String function, String requestId) {
        return reads.queuedEvent(service, function, requestId);
    }

    @Override
    public List<DeadLetter> deadLetters(
            String service, String function, int limit, long beforeSeq) {
        return reads.deadLetters(service, function, limit, beforeSeq);
    }

    @Override
    public Optional<DeadLetter> deadLetter(String service, String function, String requestId) {
        return reads.deadLetter(service, function, requestId);
    }

    // ---------------------------------------------------------------- dead letters

    @Override
    public CompletableFuture<Integer> redrive(String service, String function, String requestId) {
        return CompletableFuture.supplyAsync(
                () -> {
                    try {
                        var letters = reads.storedDeadLetters(service, function, requestId);
                        if (letters.isEmpty()) {
                            return 0;
                        }
                        var fn = new FunctionName(service, function);
                        long max = maxQueuedOf.applyAsInt(fn);
                        if (publisher.depth(fn) + letters.size() > max) {
                            throw new KilnException(
                                    ErrorCode.OVERLOADED,
                                    letters.size()
                                            + " dead letters do not fit the event queue of "
                                            + fn
                                            + " ("
                                            + max
                                            + " events); retry later");
                        }
                        // A fresh event, under a message id of its own: the request id may still
                        // be in the stream's duplicate window.
                        publisher.publish(
                                letters.stream().map(l -> l.again()).toList(),
                                letters.stream()
                                        .map(
                                                l ->
                                                        l.letter().requestId()
                                                                + ".redrive."
                                                                + l.letter().seq())
                                        .toList(),
                                Instant.now());
                        for (var l : letters) {
                            deadLetters.delete(
                                    EventMessages.deadLetterKey(
                                            service, function, l.letter().requestId()));
                        }
                        return letters.size();
                    } catch (IOException | JetStreamApiException e) {
                        throw Unavailable.of("re-driving dead letters failed", e);
                    }
                },
                io);
    }

    @Override
    public CompletableFuture<Boolean> deleteDeadLetter(
            String service, String function, String requestId) {
        return CompletableFuture.supplyAsync(
                () -> {
                    boolean existed = reads.deadLetter(service, function, requestId).isPresent();
                    try {
                        deadLetters.delete(
                                EventMessages.deadLetterKey(service, function, requestId));
                    } catch (IOException | JetStreamApiException e) {
                        throw Unavailable.of("deleting a dead letter failed", e);
                    }
                    return existed;
                },
                io);
    }

    @Override
    public CompletableFuture<Void> purge(String service, String function) {
        return CompletableFuture.runAsync(
                () -> {
                    try {
                        reads.purge(service, function);
                    } catch (IOException | JetStreamApiException e) {
                        throw Unavailable.of("deleting the function's events failed", e);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw Unavailable.of("deleting the function's events was interrupted", e);
                    }
                },
                io);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Stops taking events. Events delivered here and not started go back to JetStream at once;
     * those still running are answered by their completions, or redelivered after the ack wait.
     */
    @Override
    public void close() {
        running = false;
        puller.interrupt();
        progress.interrupt();
        try {
            puller.join(3_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            for (Held h : buffered.values()) {
                giveBack(h, Duration.ZERO); // never started: no attempt
            }
            buffered.clear();
        }
        io.shutdown();
        try {
            io.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
