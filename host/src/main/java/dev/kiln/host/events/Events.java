package dev.kiln.host.events;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.invoke.Invoker;
import dev.kiln.host.observability.InvocationStore;
import dev.kiln.host.registry.Registry;
import dev.kiln.host.storage.DocumentTable;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
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
    private final DocumentTable configTable;
    private final AsyncConfigs configs;
    private final EventCounters counters = new EventCounters();
    private final Dispatcher dispatcher;

    private Events(
            EventLimits limits,
            Registry registry,
            Invoker invoker,
            InvocationStore records,
            DocumentTable configTable,
            AsyncConfigs configs,
            EventQueue queue) {
        this.limits = limits;
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
    }

    /**
     * Opens the embedded queue in {@code <dataDir>/events.db} and starts running due events,
     * including those left from before a restart.
     */
    public static Events start(
            Path dataDir,
            EventLimits limits,
            Registry registry,
            Invoker invoker,
            InvocationStore records) {
        DocumentTable table = DocumentTable.open(dataDir.resolve("events.db"), "async_configs");
        AsyncConfigs configs = new AsyncConfigs(table, limits);
        EventQueue queue;
        try {
            queue =
                    SqliteEventQueue.open(
                            dataDir,
                            key -> {
                                int slash = key.indexOf('/');
                                return configs.of(key.substring(0, slash), key.substring(slash + 1))
                                        .maxQueuedEvents();
                            });
        } catch (RuntimeException e) {
            table.close();
            throw e;
        }
        Events events = new Events(limits, registry, invoker, records, table, configs, queue);
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
     * @throws KilnException {@code function_not_found}, {@code payload_too_large}; the future fails
     *     with {@code overloaded} when the function's queue is full
     */
    public CompletableFuture<Void> invokeAsync(
            String requestId, String service, String function, byte[] payload) {
        registry.require(service, function);
        checkSize(payload);
        return queue.enqueue(
                        List.of(
                                new NewEvent(
                                        requestId, service, function, "invoke", "invoke", payload,
                                        0)),
                        null,
                        EventQueue.Overflow.REJECT)
                .thenApply(stored -> null);
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
                counters.of(service + "/" + function));
    }

    /** Metrics of every function that has queued events, dead letters or counted activity. */
    public List<QueueMetrics> allMetrics() {
        Map<String, EventQueue.Stats> stats = new TreeMap<>(queue.allStats());
        Map<String, EventCounters.Snapshot> counts = counters.all();
        for (String k : counts.keySet()) {
            stats.putIfAbsent(k, new EventQueue.Stats(0, 0, null, 0));
        }
        List<QueueMetrics> out = new ArrayList<>();
        stats.forEach(
                (k, s) -> {
                    int slash = k.indexOf('/');
                    out.add(
                            metrics(
                                    k.substring(0, slash),
                                    k.substring(slash + 1),
                                    s,
                                    counters.of(k)));
                });
        return out;
    }

    private QueueMetrics metrics(
            String service, String function, EventQueue.Stats s, EventCounters.Snapshot c) {
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
                c.attempts(),
                c.succeeded(),
                c.retried(),
                c.throttled(),
                c.deadLettered(),
                c.discarded());
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
        counters.forget(service + "/" + function);
        return queue.purge(service, function);
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
