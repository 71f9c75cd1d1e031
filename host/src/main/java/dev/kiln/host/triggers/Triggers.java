package dev.kiln.host.triggers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.FunctionName;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.core.TriggerKind;
import dev.kiln.host.events.EventFields;
import dev.kiln.host.events.EventQueue;
import dev.kiln.host.events.Events;
import dev.kiln.host.events.NewEvent;
import dev.kiln.host.invoke.RequestIds;
import dev.kiln.host.registry.Registry;
import dev.kiln.host.storage.DocumentStore;
import java.io.IOException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Topic subscriptions and timers: manages functions' triggers and turns publishes and timer fires
 * into queued events. The one entry point of this package.
 */
public final class Triggers implements AutoCloseable {
    private final TriggerStore store;
    private final Events events;
    private final Registry registry;
    private final TimerScheduler timers;

    /**
     * One subscriber's copy of a published event.
     *
     * @param requestId the id of its invocation record
     */
    public record Delivery(String service, String function, String trigger, String requestId) {}

    /** What a publish stored: one delivery per matching enabled subscription. */
    public record Publication(String eventId, String topic, List<Delivery> deliveries) {}

    private Triggers(TriggerStore store, Events events, Registry registry) {
        this.store = store;
        this.events = events;
        this.registry = registry;
        this.timers = new TimerScheduler(store, events);
        // a timer created, changed or deleted on another node is looked at now, not next round
        store.onChange(timers::wake);
    }

    /**
     * Opens the trigger table ({@code triggers} of {@code events.db} on one node, the cluster's
     * documents bucket in a cluster, docs/adr/0054) and starts the timers.
     */
    public static Triggers start(DocumentStore.Opener documents, Events events, Registry registry) {
        var store = new TriggerStore(documents.open("events.db", "triggers"));
        var triggers = new Triggers(store, events, registry);
        triggers.timers.start();
        return triggers;
    }

    // ---------------------------------------------------------------- management

    /** Creates a trigger from its JSON definition; returns its view. */
    public synchronized ObjectNode create(String service, String function, JsonNode json) {
        registry.require(service, function);
        if (json == null || !json.isObject()) {
            throw Trigger.bad("a trigger must be a JSON object");
        }
        String id;
        if (json.hasNonNull("id")) {
            id = json.get("id").asText("");
            if (!json.get("id").isTextual() || !Trigger.ID.matcher(id).matches()) {
                throw Trigger.bad("'id' must match " + Trigger.ID.pattern());
            }
            if (store.get(service, function, id).isPresent()) {
                throw Trigger.bad("a trigger with id '" + id + "' already exists");
            }
        } else {
            id = "t-" + RequestIds.next().toLowerCase(Locale.ROOT);
        }
        if (json.has("createdAt") || json.has("enabledAt")) {
            throw Trigger.bad("createdAt and enabledAt are set by Kiln");
        }
        int max = events.limits().maxTriggersPerFunction();
        if (store.of(service, function).size() >= max) {
            throw Trigger.bad("a function has at most " + max + " triggers");
        }
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        Trigger t =
                Trigger.parse(
                        json, service, function, id, now, now, events.limits().maxEventBytes());
        events.checkQualifier(service, function, t.qualifier());
        checkFanOut(t, null);
        store.put(t);
        timers.wake();
        return view(t);
    }

    public List<ObjectNode> list(String service, String function) {
        registry.require(service, function);
        return store.of(service, function).stream().map(this::view).toList();
    }

    public ObjectNode get(String service, String function, String id) {
        return view(require(service, function, id));
    }

    /**
     * Changes a trigger: {@code json} is merged onto its definition ({@code enabled}, and for a
     * topic {@code topic}/{@code filter}, for a timer {@code cron}/{@code timezone}/{@code
     * payload}/{@code missedFire}); {@code id} and {@code type} cannot change. Enabling a timer or
     * changing its cron or timezone starts its schedule now: no earlier time fires.
     */
    public synchronized ObjectNode patch(
            String service, String function, String id, JsonNode json) {
        Trigger current = require(service, function, id);
        if (json == null || !json.isObject()) {
            throw Trigger.bad("a trigger change must be a JSON object");
        }
        ObjectNode merged = current.definition();
        for (Map.Entry<String, JsonNode> e : json.properties()) {
            String f = e.getKey();
            if ((f.equals("id") || f.equals("type")) && !e.getValue().equals(merged.get(f))) {
                throw Trigger.bad("'" + f + "' of a trigger cannot change");
            }
            if (f.equals("createdAt") || f.equals("enabledAt")) {
                throw Trigger.bad("createdAt and enabledAt are set by Kiln");
            }
            merged.set(f, e.getValue());
        }
        Trigger parsed =
                Trigger.parse(
                        merged,
                        service,
                        function,
                        id,
                        current.createdAt(),
                        current.scheduledFrom(),
                        events.limits().maxEventBytes());
        // Enabled again, or given another cron or timezone: the schedule starts now. Times that
        // passed before (under the old schedule, or while disabled) are not fired late.
        Instant scheduledFrom =
                (parsed.enabled() && !current.enabled())
                                || !sameSchedule(parsed.source(), current.source())
                        ? Instant.now().truncatedTo(ChronoUnit.MILLIS)
                        : current.scheduledFrom();
        Trigger updated =
                new Trigger(
                        id,
                        service,
                        function,
                        parsed.enabled(),
                        current.createdAt(),
                        scheduledFrom,
                        parsed.source(),
                        parsed.qualifier());
        events.checkQualifier(service, function, updated.qualifier());
        checkFanOut(updated, current);
        store.put(updated);
        timers.wake();
        return view(updated);
    }

    private static boolean sameSchedule(Trigger.Source a, Trigger.Source b) {
        if (a instanceof Trigger.TimerSource x && b instanceof Trigger.TimerSource y) {
            return x.schedule().expression().equals(y.schedule().expression())
                    && x.schedule().zone().equals(y.schedule().zone());
        }
        return true; // topics have no schedule
    }

    /**
     * Deletes a trigger, and its fire mark if it is a timer; the future completes once the mark is
     * gone (the trigger already is).
     */
    public synchronized CompletableFuture<Void> delete(String service, String function, String id) {
        Trigger t = require(service, function, id);
        CompletableFuture<Boolean> mark =
                timers.deleting(
                        () -> {
                            store.delete(service, function, id);
                            return t.source() instanceof Trigger.TimerSource
                                    ? events.deleteMark(t.fireKey())
                                    : CompletableFuture.completedFuture(false);
                        });
        timers.forget(t.fireKey());
        timers.wake();
        return mark.thenApply(existed -> null);
    }

    /**
     * Deletes every trigger of a function that was deleted, with its timers' fire marks (kept, they
     * would pile up in events.db with every function deleted); the future completes once the marks
     * are gone.
     */
    public synchronized CompletableFuture<Void> forget(String service, String function) {
        String prefix = Trigger.fireKeyPrefix(service, function);
        CompletableFuture<Integer> marks =
                timers.deleting(
                        () -> {
                            store.deleteAll(service, function);
                            return events.deleteMarksWithPrefix(prefix);
                        });
        timers.forgetWithPrefix(prefix);
        timers.wake();
        return marks.thenApply(n -> null);
    }

    private Trigger require(String service, String function, String id) {
        registry.require(service, function);
        return store.get(service, function, id)
                .orElseThrow(
                        () ->
                                new KilnException(
                                        ErrorCode.NOT_FOUND,
                                        "no trigger '"
                                                + id
                                                + "' on "
                                                + new FunctionName(service, function)));
    }

    private void checkFanOut(Trigger t, Trigger before) {
        if (!t.enabled() || !(t.source() instanceof Trigger.TopicSource s)) {
            return;
        }
        long others =
                store.subscribers(s.topic()).stream()
                        .filter(
                                x ->
                                        before == null
                                                || !(x.functionKey().equals(before.functionKey())
                                                        && x.id().equals(before.id())))
                        .count();
        int max = events.limits().maxSubscribersPerTopic();
        if (others >= max) {
            throw Trigger.bad("topic '" + s.topic() + "' already has " + max + " subscriptions");
        }
    }

    private ObjectNode view(Trigger t) {
        return t.view(timers.nextFire(t).orElse(null));
    }

    // ---------------------------------------------------------------- topics

    /**
     * Publishes {@code payload} to {@code topic}: stores one event for each enabled subscription
     * whose filter matches, all or none. The future completes once they are durable; it fails with
     * {@code overloaded} when a subscriber's queue is full (then no subscriber gets the event).
     *
     * @throws KilnException {@code bad_request} for a malformed topic name, {@code
     *     payload_too_large} past {@code maxEventBytes}
     */
    public CompletableFuture<Publication> publish(String topic, String eventId, byte[] payload) {
        Trigger.topic(Trigger.JSON.getNodeFactory().textNode(topic));
        events.checkSize(payload);
        List<Trigger> subscribers = store.subscribers(topic);
        JsonNode parsed = null;
        if (subscribers.stream()
                .anyMatch(t -> ((Trigger.TopicSource) t.source()).filter() != null)) {
            try {
                parsed = Trigger.JSON.readTree(payload);
            } catch (IOException notJson) {
                parsed = null; // matches no filter
            }
        }
        List<NewEvent> batch = new ArrayList<>();
        List<Delivery> deliveries = new ArrayList<>();
        for (Trigger t : subscribers) {
            EventFilter filter = ((Trigger.TopicSource) t.source()).filter();
            if (filter != null && !filter.matches(parsed)) {
                continue;
            }
            String requestId = RequestIds.next();
            batch.add(
                    new NewEvent(
                            new EventFields(
                                    requestId,
                                    t.service(),
                                    t.function(),
                                    TriggerKind.EVENT.wire(),
                                    "topic:" + topic,
                                    payload),
                            0,
                            t.qualifier()));
            deliveries.add(new Delivery(t.service(), t.function(), t.id(), requestId));
        }
        var publication = new Publication(eventId, topic, List.copyOf(deliveries));
        if (batch.isEmpty()) {
            return CompletableFuture.completedFuture(publication);
        }
        return events.enqueue(batch, null, EventQueue.Overflow.REJECT)
                .thenApply(stored -> publication);
    }

    /** Topics with enabled subscriptions, and who subscribes. */
    public List<ObjectNode> topics() {
        List<ObjectNode> out = new ArrayList<>();
        store.topics().entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .forEach(
                        e -> {
                            ObjectNode o = Trigger.JSON.createObjectNode();
                            o.put("topic", e.getKey());
                            var subs = o.putArray("subscriptions");
                            for (Trigger t : e.getValue()) {
                                subs.addObject()
                                        .put("service", t.service())
                                        .put("function", t.function())
                                        .put("trigger", t.id());
                            }
                            out.add(o);
                        });
        return out;
    }

    @Override
    public void close() {
        timers.close();
        store.close();
    }
}
