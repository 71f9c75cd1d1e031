package dev.kiln.host.events;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.FunctionName;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.core.TriggerKind;
import dev.kiln.host.invoke.Invoker;
import dev.kiln.host.observability.InvocationStore;
import dev.kiln.host.observability.Metrics;
import dev.kiln.host.observability.TraceContext;
import dev.kiln.host.registry.Qualifier;
import dev.kiln.host.registry.Registry;
import dev.kiln.host.storage.DiskSpace;
import dev.kiln.host.storage.DocumentStore;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import java.util.function.ToIntFunction;
import java.util.random.RandomGenerator;

/**
 * Asynchronous invocation: accepts events into per-function queues (acknowledged only once
 * durable), runs them through the {@link Invoker} with retries, dead letters and destinations, and
 * reports on the queues. The one entry point of this package for triggers and the HTTP layer.
 */
public final class Events implements AutoCloseable {
    private final EventLimits limits;
    private final Registry registry;
    private final EventQueue queue;
    private final DocumentStore configTable;
    private final AsyncConfigs configs;
    private final EventCounters counters = new EventCounters();
    private final Dispatcher dispatcher;
    private final DiskSpace space;
    // Queue figures for /metrics: one read serves every family of a scrape.
    private List<QueueMetrics> scraped = List.of(); // guarded by this
    private long scrapedAtNanos; // guarded by this

    private Events(
            EventLimits limits,
            Registry registry,
            Invoker invoker,
            InvocationStore records,
            DocumentStore configTable,
            AsyncConfigs configs,
            EventQueue queue,
            Metrics metrics,
            DiskSpace space) {
        this.limits = limits;
        this.space = space;
        this.registry = registry;
        this.queue = queue;
        this.configTable = configTable;
        this.configs = configs;
        this.dispatcher =
                new Dispatcher(
                        queue,
                        invoker,
                        registry,
                        records,
                        configs,
                        limits,
                        counters,
                        new RetryPolicy(
                                limits.retryBaseDelay(),
                                limits.retryMaxDelay(),
                                RandomGenerator.getDefault()));
        registerMetrics(metrics);
    }

    /**
     * The queue figures of {@link #allMetrics} on {@code GET /metrics}, per function: gauges of
     * what is queued now, counters of what happened since the host started.
     */
    private void registerMetrics(Metrics metrics) {
        List<String> fn = List.of("service", "function");
        queueGauge(
                metrics,
                "kiln_event_queue_depth",
                "Events stored in each function's queue: waiting, retrying or running.",
                QueueMetrics::depth);
        queueGauge(
                metrics,
                "kiln_event_queue_in_flight",
                "Events of each function leased by the dispatcher: running or about to.",
                QueueMetrics::inFlight);
        queueGauge(
                metrics,
                "kiln_event_queue_oldest_age_seconds",
                "Age of the oldest event in each function's queue (0 when empty).",
                q -> q.oldestAgeMs() / 1000.0);
        queueGauge(
                metrics,
                "kiln_event_dead_letters",
                "Events in each function's dead-letter list.",
                QueueMetrics::deadLetters);
        metrics.counter(
                "kiln_event_attempts_total",
                "Attempts of queued events that ran (throttled tries excluded).",
                fn,
                sink ->
                        counters.all()
                                .forEach(
                                        (k, c) -> {
                                            sink.add(
                                                    (double) c.attempts(),
                                                    k.service(),
                                                    k.function());
                                        }));
        metrics.counter(
                "kiln_event_results_total",
                "What became of event tries, counted once the queue stored it, by result:"
                        + " succeeded, retried (failed, scheduled again), throttled (function at"
                        + " capacity, put back without using an attempt), dead_lettered (out of"
                        + " attempts or time: to the dead-letter list or function), discarded"
                        + " (out of attempts or time with deadLetter none).",
                List.of("service", "function", "result"),
                sink ->
                        counters.all()
                                .forEach(
                                        (k, c) -> {
                                            sink.add(
                                                    (double) c.succeeded(),
                                                    k.service(),
                                                    k.function(),
                                                    "succeeded");
                                            sink.add(
                                                    (double) c.retried(),
                                                    k.service(),
                                                    k.function(),
                                                    "retried");
                                            sink.add(
                                                    (double) c.throttled(),
                                                    k.service(),
                                                    k.function(),
                                                    "throttled");
                                            sink.add(
                                                    (double) c.deadLettered(),
                                                    k.service(),
                                                    k.function(),
                                                    "dead_lettered");
                                            sink.add(
                                                    (double) c.discarded(),
                                                    k.service(),
                                                    k.function(),
                                                    "discarded");
                                        }));
    }

    private void queueGauge(
            Metrics metrics, String name, String help, ToDoubleFunction<QueueMetrics> value) {
        metrics.gauge(
                name,
                help,
                List.of("service", "function"),
                sink -> {
                    for (QueueMetrics q : scrapedMetrics()) {
                        sink.add(value.applyAsDouble(q), q.service(), q.function());
                    }
                });
    }

    /** {@link #allMetrics}, read again only when the last read is older than a scrape takes. */
    private synchronized List<QueueMetrics> scrapedMetrics() {
        long now = System.nanoTime();
        if (scrapedAtNanos == 0 || now - scrapedAtNanos > TimeUnit.MILLISECONDS.toNanos(250)) {
            try {
                scraped = allMetrics();
            } catch (KilnException e) {
                // Logged by the queue; the scrape goes on without these series.
                scraped = List.of();
            }
            scrapedAtNanos = now;
        }
        return scraped;
    }

    /** Opens the queue events are stored in, given each function's bound. */
    @FunctionalInterface
    public interface QueueOpener {
        EventQueue open(ToIntFunction<FunctionName> maxQueuedOf);
    }

    /**
     * Opens the embedded queue in {@code <dataDir>/events.db} and starts running due events,
     * including those left from before a restart. The queues' figures go to {@code metrics}.
     */
    public static Events start(
            Path dataDir,
            EventLimits limits,
            Registry registry,
            Invoker invoker,
            InvocationStore records,
            Metrics metrics,
            DiskSpace space) {
        return start(
                DocumentStore.Opener.sqlite(dataDir),
                limits,
                registry,
                invoker,
                records,
                metrics,
                space,
                max -> SqliteEventQueue.open(dataDir, max));
    }

    /**
     * Like {@link #start(Path, EventLimits, Registry, Invoker, InvocationStore, Metrics,
     * DiskSpace)}, on the queue {@code opener} opens (the cluster's, docs/adr/0053), with async
     * settings in {@code documents} (table {@code async_configs} of {@code events.db} on one node,
     * the cluster's documents bucket in a cluster, docs/adr/0054).
     */
    public static Events start(
            DocumentStore.Opener documents,
            EventLimits limits,
            Registry registry,
            Invoker invoker,
            InvocationStore records,
            Metrics metrics,
            DiskSpace space,
            QueueOpener opener) {
        DocumentStore table = documents.open("events.db", "async_configs");
        AsyncConfigs configs = new AsyncConfigs(table, limits);
        EventQueue queue;
        try {
            queue = opener.open(key -> configs.of(key.service(), key.function()).maxQueuedEvents());
        } catch (RuntimeException e) {
            table.close();
            throw e;
        }
        Events events =
                new Events(
                        limits, registry, invoker, records, table, configs, queue, metrics, space);
        events.dispatcher.start();
        return events;
    }

    public EventLimits limits() {
        return limits;
    }

    /**
     * Queues an asynchronous invocation of {@code service/function}; the future completes once the
     * event is durable.
     *
     * @throws KilnException {@code function_not_found}, {@code payload_too_large}, {@code
     *     insufficient_storage}; the future fails with {@code overloaded} when the function's queue
     *     is full, {@code insufficient_storage} when the disk filled up
     */
    public CompletableFuture<Void> invokeAsync(
            String requestId, String service, String function, byte[] payload) {
        return invokeAsync(requestId, service, function, null, payload);
    }

    /**
     * Like {@link #invokeAsync(String, String, String, byte[])}, of the version {@code qualifier}
     * selects when the event runs ({@code null}: LATEST).
     *
     * @throws KilnException also {@code version_not_found}, {@code alias_not_found} or {@code
     *     bad_request} when the qualifier selects nothing now
     */
    public CompletableFuture<Void> invokeAsync(
            String requestId, String service, String function, String qualifier, byte[] payload) {
        return invokeAsync(requestId, service, function, qualifier, payload, null);
    }

    /**
     * Like {@link #invokeAsync(String, String, String, String, byte[])}, in a W3C trace: every
     * attempt of the event continues {@code trace} (docs/adr/0047), or none when it is null.
     */
    public CompletableFuture<Void> invokeAsync(
            String requestId,
            String service,
            String function,
            String qualifier,
            byte[] payload,
            TraceContext trace) {
        String q = checkQualifier(service, function, qualifier);
        checkSize(payload);
        space.requireRoom();
        return queue.enqueue(
                        List.of(
                                new NewEvent(
                                        new EventFields(
                                                requestId,
                                                service,
                                                function,
                                                TriggerKind.INVOKE.wire(),
                                                "invoke",
                                                payload),
                                        0,
                                        q,
                                        trace)),
                        null,
                        EventQueue.Overflow.REJECT)
                .thenApply(stored -> null);
    }

    /**
     * Checks that {@code qualifier} selects a version of the function now; returns it as stored
     * ({@code null} for LATEST).
     *
     * @throws KilnException {@code function_not_found}, {@code version_not_found}, {@code
     *     alias_not_found} or {@code bad_request}
     */
    public String checkQualifier(String service, String function, String qualifier) {
        Qualifier q = Qualifier.parse(qualifier);
        registry.target(service, function, q, 0, 0.0);
        return q instanceof Qualifier.Latest ? null : q.toString();
    }

    /** Refuses payloads over {@code maxEventBytes} with {@code payload_too_large}. */
    public void checkSize(byte[] payload) {
        if (payload.length > limits.maxEventBytes()) {
            throw new KilnException(
                    ErrorCode.PAYLOAD_TOO_LARGE,
                    "an event is at most " + limits.maxEventBytes() + " bytes");
        }
    }

    /** Stores events for triggers (all or none); see {@link EventQueue#enqueue}. */
    public CompletableFuture<Boolean> enqueue(
            List<NewEvent> events, FireMark mark, EventQueue.Overflow overflow) {
        space.requireRoom();
        return queue.enqueue(events, mark, overflow);
    }

    /** The last fire mark stored under {@code key}. */
    public Optional<Instant> lastMark(String key) {
        return queue.lastMark(key);
    }

    /** Deletes the fire mark under {@code key}, for a timer that was deleted. */
    public CompletableFuture<Boolean> deleteMark(String key) {
        return queue.deleteMark(key);
    }

    /** Deletes the fire marks whose keys start with {@code prefix}: a deleted function's timers. */
    public CompletableFuture<Integer> deleteMarksWithPrefix(String prefix) {
        return queue.deleteMarksWithPrefix(prefix);
    }

    // ---------------------------------------------------------------- settings

    /** The function's async settings (its own or the defaults). */
    public AsyncConfig config(String service, String function) {
        registry.require(service, function);
        return configs.of(service, function);
    }

    /**
     * Replaces the function's async settings (absent fields take the defaults). Destination
     * functions must exist.
     */
    public AsyncConfig putConfig(String service, String function, JsonNode json) {
        registry.require(service, function);
        AsyncConfig config = AsyncConfig.fromJson(json, service, limits);
        List<Destination.FunctionTarget> targets = new ArrayList<>();
        if (config.deadLetter() instanceof Destination.FunctionTarget t) {
            targets.add(t);
        }
        if (config.onSuccess() != null) {
            targets.add(config.onSuccess());
        }
        if (config.onFailure() != null) {
            targets.add(config.onFailure());
        }
        for (var t : targets) {
            if (registry.find(t.service(), t.function()).isEmpty()) {
                throw new KilnException(
                        ErrorCode.BAD_REQUEST,
                        "destination function " + t.key() + " does not exist");
            }
            if (t.qualifier() != null) {
                checkQualifier(t.service(), t.function(), t.qualifier());
            }
        }
        configs.put(service, function, config);
        dispatcher.wake(); // a larger queue bound or cap may let more events run
        return config;
    }

    /** Back to the defaults. */
    public AsyncConfig resetConfig(String service, String function) {
        registry.require(service, function);
        configs.delete(service, function);
        return configs.of(service, function);
    }

    // ---------------------------------------------------------------- queues and dead letters

    public QueueMetrics metrics(String service, String function) {
        registry.require(service, function);
        return metrics(
                service,
                function,
                queue.stats(service, function),
                counters.of(new FunctionName(service, function)));
    }

    /** Metrics of every function that has queued events, dead letters or counted activity. */
    public List<QueueMetrics> allMetrics() {
        Map<FunctionName, EventQueue.Stats> stats = new TreeMap<>(queue.allStats());
        Map<FunctionName, EventCounts> counts = counters.all();
        for (FunctionName k : counts.keySet()) {
            stats.putIfAbsent(k, new EventQueue.Stats(0, 0, null, 0));
        }
        List<QueueMetrics> out = new ArrayList<>();
        stats.forEach((k, s) -> out.add(metrics(k.service(), k.function(), s, counters.of(k))));
        return out;
    }

    private QueueMetrics metrics(
            String service, String function, EventQueue.Stats s, EventCounts c) {
        long age =
                s.oldestCreatedAt() == null
                        ? 0
                        : Math.max(
                                0, Duration.between(s.oldestCreatedAt(), Instant.now()).toMillis());
        return new QueueMetrics(
                service,
                function,
                s.depth(),
                s.leased(),
                age,
                s.deadLetters(),
                configs.of(service, function).maxQueuedEvents(),
                c);
    }

    public List<QueuedEvent> queued(String service, String function, int limit, long afterSeq) {
        registry.require(service, function);
        return queue.queued(service, function, limit, afterSeq);
    }

    public Optional<QueuedEvent> queuedEvent(String service, String function, String requestId) {
        registry.require(service, function);
        return queue.queuedEvent(service, function, requestId);
    }

    public List<DeadLetter> deadLetters(
            String service, String function, int limit, long beforeSeq) {
        registry.require(service, function);
        return queue.deadLetters(service, function, limit, beforeSeq);
    }

    public Optional<DeadLetter> deadLetter(String service, String function, String requestId) {
        registry.require(service, function);
        return queue.deadLetter(service, function, requestId);
    }

    /** Re-drives one dead letter ({@code requestId}) or all of them ({@code null}). */
    public CompletableFuture<Integer> redrive(String service, String function, String requestId) {
        registry.require(service, function);
        return queue.redrive(service, function, requestId);
    }

    public CompletableFuture<Boolean> deleteDeadLetter(
            String service, String function, String requestId) {
        registry.require(service, function);
        return queue.deleteDeadLetter(service, function, requestId);
    }

    /** Forgets a deleted function: its queued events, dead letters, settings and counters. */
    public CompletableFuture<Void> forget(String service, String function) {
        configs.delete(service, function);
        counters.forget(new FunctionName(service, function));
        return queue.purge(service, function)
                .whenComplete(
                        (v, x) -> {
                            synchronized (this) {
                                scrapedAtNanos = 0; // its series leave /metrics at once
                            }
                        });
    }

    /** Stops starting events; waits up to {@code grace} for those running to finish. */
    public void stopDispatching(Duration grace) {
        dispatcher.stop(grace);
    }

    @Override
    public void close() {
        dispatcher.close();
        queue.close();
        configTable.close();
    }
}
