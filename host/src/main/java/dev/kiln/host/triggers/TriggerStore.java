package dev.kiln.host.triggers;

import dev.kiln.host.core.FunctionName;
import dev.kiln.host.storage.DocumentStore;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stored triggers ({@code triggers} table of {@code events.db}; a cluster's in its documents
 * bucket, docs/adr/0054), parsed once and kept in memory with an index of enabled subscriptions by
 * topic, so a publish never touches disk to find them. The memory follows the table: {@link
 * #changed} is told of every change, one at a time, whichever node made it.
 */
final class TriggerStore implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TriggerStore.class);
    private final DocumentStore table;
    private final Map<Key, Trigger> byKey = new ConcurrentHashMap<>();
    private volatile Map<String, List<Trigger>> subscribers = Map.of();
    private volatile Runnable onChange = () -> {};

    TriggerStore(DocumentStore table) {
        this.table = table;
        table.listen(this::changed);
    }

    private void changed(String owner, String id, String body) {
        try {
            FunctionName function = FunctionName.parse(owner);
            if (body == null) {
                byKey.remove(key(function, id));
            } else {
                Trigger t = Trigger.fromStored(function.service(), function.function(), id, body);
                byKey.put(key(t.functionKey(), t.id()), t);
            }
        } catch (RuntimeException e) {
            // Kept stored, left out of service: one unreadable trigger must not stop Kiln.
            log.error("stored trigger {} of {} is not readable; ignored", id, owner, e);
        }
        reindex();
        onChange.run();
    }

    /** {@code hook} runs after every change, this node's or another's (it must not block). */
    void onChange(Runnable hook) {
        this.onChange = hook;
    }

    Optional<Trigger> get(String service, String function, String id) {
        return Optional.ofNullable(byKey.get(new Key(new FunctionName(service, function), id)));
    }

    /** A function's triggers, sorted by id. */
    List<Trigger> of(String service, String function) {
        FunctionName name = new FunctionName(service, function);
        return byKey.entrySet().stream()
                .filter(e -> e.getKey().function().equals(name))
                .map(Map.Entry::getValue)
                .sorted(Comparator.comparing(Trigger::id))
                .toList();
    }

    List<Trigger> all() {
        return new ArrayList<>(byKey.values());
    }

    /** Enabled subscriptions of {@code topic}. */
    List<Trigger> subscribers(String topic) {
        return subscribers.getOrDefault(topic, List.of());
    }

    /** Enabled subscription counts by topic. */
    Map<String, List<Trigger>> topics() {
        return subscribers;
    }

    /** Stores {@code t}; in the index once this returns ({@link #changed}). */
    synchronized void put(Trigger t) {
        table.put(t.functionKey().toString(), t.id(), t.stored());
    }

    synchronized boolean delete(String service, String function, String id) {
        return table.delete(new FunctionName(service, function).toString(), id);
    }

    /** Deletes every trigger of a function; returns them. */
    synchronized List<Trigger> deleteAll(String service, String function) {
        List<Trigger> gone = of(service, function);
        table.deleteOwner(new FunctionName(service, function).toString());
        return gone;
    }

    private void reindex() {
        Map<String, List<Trigger>> index = new HashMap<>();
        for (Trigger t : byKey.values()) {
            if (t.enabled() && t.source() instanceof Trigger.TopicSource s) {
                index.computeIfAbsent(s.topic(), k -> new ArrayList<>()).add(t);
            }
        }
        index.replaceAll(
                (k, v) ->
                        v.stream()
                                .sorted(
                                        Comparator.comparing(Trigger::functionKey)
                                                .thenComparing(Trigger::id))
                                .toList());
        subscribers = Map.copyOf(index);
    }

    /** Where a trigger is kept: its function and its id there. */
    private record Key(FunctionName function, String id) {}

    private static Key key(FunctionName function, String id) {
        return new Key(function, id);
    }

    @Override
    public void close() {
        table.close();
    }
}
