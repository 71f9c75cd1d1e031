package dev.kiln.host.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.host.access.Action;
import dev.kiln.host.access.Permission;
import dev.kiln.host.access.Principal;
import dev.kiln.host.access.Scope;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.events.AsyncConfig;
import dev.kiln.host.events.Destination;
import dev.kiln.host.events.Events;
import dev.kiln.host.triggers.Triggers;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RoutingHandler;
import io.undertow.util.Methods;
import io.undertow.util.SameThreadExecutor;
import java.util.Map;

/**
 * Routes of asynchronous invocation under {@code /api/v1}: async settings, queues and dead letters
 * of a function, its triggers, and topics.
 */
final class EventsApi {
    static final int MAX_JSON_BYTES = 64 * 1024;
    private static final String FN = "/api/v1/services/{service}/functions/{function}";

    private final Events events;
    private final Triggers triggers;

    EventsApi(Events events, Triggers triggers) {
        this.events = events;
        this.triggers = triggers;
    }

    /** Adds this API's routes to {@code routes}. */
    RoutingHandler addTo(RoutingHandler routes) {
        return routes.get(FN + "/async-config", blocking(this::getConfig))
                .put(FN + "/async-config", json(this::putConfig))
                .delete(FN + "/async-config", blocking(this::resetConfig))
                .get(FN + "/queue", blocking(this::queue))
                .get(FN + "/events", blocking(this::listQueued))
                .get(FN + "/events/{requestId}", blocking(this::getQueued))
                .get(FN + "/dead-letters", blocking(this::listDeadLetters))
                .get(FN + "/dead-letters/{requestId}", blocking(this::getDeadLetter))
                .delete(FN + "/dead-letters/{requestId}", blocking(this::deleteDeadLetter))
                .post(FN + "/dead-letters/{requestId}/redrive", blocking(this::redriveOne))
                .post(FN + "/dead-letters/redrive", blocking(this::redriveAll))
                .post(FN + "/triggers", json(this::createTrigger))
                .get(FN + "/triggers", blocking(this::listTriggers))
                .get(FN + "/triggers/{trigger}", blocking(this::getTrigger))
                .add(Methods.PATCH, FN + "/triggers/{trigger}", json(this::patchTrigger))
                .delete(FN + "/triggers/{trigger}", blocking(this::deleteTrigger))
                .post("/api/v1/topics/{topic}/events", this::publish)
                .get("/api/v1/topics", blocking(this::topics))
                .get("/api/v1/queues", blocking(this::queues));
    }

    /** Forgets everything event-related of a function that was just deleted. */
    void functionDeleted(String service, String function) throws Exception {
        Futures.await(triggers.forget(service, function));
        Futures.await(events.forget(service, function));
    }

    // ---------------------------------------------------------------- settings and queues

    private void getConfig(HttpServerExchange ex) {
        Responses.json(ex, 200, events.config(service(ex), function(ex)).toJson());
    }

    private void putConfig(HttpServerExchange ex, JsonNode body) {
        // A destination runs another function: the key must be allowed to invoke it.
        AsyncConfig config = AsyncConfig.fromJson(body, service(ex), events.limits());
        Principal who = ex.getAttachment(AccessControl.PRINCIPAL);
        Permission invoke = new Permission(Action.INVOKE, Scope.SERVICE);
        for (Destination d :
                new Destination[] {config.deadLetter(), config.onSuccess(), config.onFailure()}) {
            if (d instanceof Destination.FunctionTarget t && !who.may(invoke, t.service())) {
                throw GuardedRoutes.forbidden(who, invoke, t.service());
            }
        }
        Responses.json(ex, 200, events.putConfig(service(ex), function(ex), body).toJson());
    }

    private void resetConfig(HttpServerExchange ex) {
        Responses.json(ex, 200, events.resetConfig(service(ex), function(ex)).toJson());
    }

    private void queue(HttpServerExchange ex) {
        Responses.json(ex, 200, events.metrics(service(ex), function(ex)));
    }

    private void queues(HttpServerExchange ex) {
        Responses.json(ex, 200, Map.of("queues", events.allMetrics()));
    }

    private void listQueued(HttpServerExchange ex) {
        var list =
                events.queued(service(ex), function(ex), limit(ex), position(ex, "after")).stream()
                        .map(e -> EventViews.Queued.of(e, false))
                        .toList();
        Responses.json(ex, 200, Map.of("events", list));
    }

    private void getQueued(HttpServerExchange ex) {
        String id = PathParams.get(ex, "requestId");
        var e =
                events.queuedEvent(service(ex), function(ex), id)
                        .orElseThrow(
                                () ->
                                        new KilnException(
                                                ErrorCode.NOT_FOUND,
                                                "no queued event "
                                                        + id
                                                        + "; a finished one has an invocation"
                                                        + " record or a dead letter"));
        Responses.json(ex, 200, EventViews.Queued.of(e, true));
    }

    private void listDeadLetters(HttpServerExchange ex) {
        var list =
                events
                        .deadLetters(service(ex), function(ex), limit(ex), position(ex, "before"))
                        .stream()
                        .map(d -> EventViews.Dead.of(d, false))
                        .toList();
        Responses.json(ex, 200, Map.of("deadLetters", list));
    }

    private void getDeadLetter(HttpServerExchange ex) {
        String id = PathParams.get(ex, "requestId");
        var d =
                events.deadLetter(service(ex), function(ex), id)
                        .orElseThrow(() -> noDeadLetter(id));
        Responses.json(ex, 200, EventViews.Dead.of(d, true));
    }

    private void deleteDeadLetter(HttpServerExchange ex) throws Exception {
        String id = PathParams.get(ex, "requestId");
        if (!Futures.await(events.deleteDeadLetter(service(ex), function(ex), id))) {
            throw noDeadLetter(id);
        }
        ex.setStatusCode(204);
        ex.endExchange();
    }

    private void redriveOne(HttpServerExchange ex) throws Exception {
        String id = PathParams.get(ex, "requestId");
        int n = Futures.await(events.redrive(service(ex), function(ex), id));
        if (n == 0) {
            throw noDeadLetter(id);
        }
        Responses.json(ex, 200, Map.of("redriven", n));
    }

    private void redriveAll(HttpServerExchange ex) throws Exception {
        int n = Futures.await(events.redrive(service(ex), function(ex), null));
        Responses.json(ex, 200, Map.of("redriven", n));
    }

    private static KilnException noDeadLetter(String id) {
        return new KilnException(ErrorCode.NOT_FOUND, "no dead letter " + id + " of this function");
    }

    // ---------------------------------------------------------------- triggers and topics

    private void createTrigger(HttpServerExchange ex, JsonNode body) {
        Responses.json(ex, 201, triggers.create(service(ex), function(ex), body));
    }

    private void listTriggers(HttpServerExchange ex) {
        Responses.json(ex, 200, Map.of("triggers", triggers.list(service(ex), function(ex))));
    }

    private void getTrigger(HttpServerExchange ex) {
        Responses.json(
                ex, 200, triggers.get(service(ex), function(ex), PathParams.get(ex, "trigger")));
    }

    private void patchTrigger(HttpServerExchange ex, JsonNode body) {
        Responses.json(
                ex,
                200,
                triggers.patch(service(ex), function(ex), PathParams.get(ex, "trigger"), body));
    }

    private void deleteTrigger(HttpServerExchange ex) throws Exception {
        Futures.await(triggers.delete(service(ex), function(ex), PathParams.get(ex, "trigger")));
        ex.setStatusCode(204);
        ex.endExchange();
    }

    private void topics(HttpServerExchange ex) {
        Responses.json(ex, 200, Map.of("topics", triggers.topics()));
    }

    /** {@code POST /api/v1/topics/{topic}/events}: 202 once every subscriber's copy is durable. */
    private void publish(HttpServerExchange exchange) {
        String topic = PathParams.get(exchange, "topic");
        Bodies.read(
                exchange,
                events.limits().maxEventBytes(),
                (ex, body) ->
                        ex.dispatch(
                                SameThreadExecutor.INSTANCE,
                                () -> ErrorBoundary.run(ex, () -> publish(ex, topic, body))));
    }

    // whenComplete's own future is dropped: ErrorBoundary answers every failure, the callback's
    // too.
    @SuppressWarnings("FutureReturnValueIgnored")
    private void publish(HttpServerExchange ex, String topic, byte[] body) {
        triggers.publish(topic, Responses.requestId(ex), body)
                .whenComplete(
                        (publication, failure) ->
                                ErrorBoundary.run(
                                        ex,
                                        () -> {
                                            Futures.rethrow(failure);
                                            Responses.json(ex, 202, publication);
                                        }));
    }

    // ---------------------------------------------------------------- helpers

    private interface JsonHandler {
        void handle(HttpServerExchange exchange, JsonNode body) throws Exception;
    }

    /** Reads a JSON body (at most {@link #MAX_JSON_BYTES}), then handles it on a worker thread. */
    private static HttpHandler json(JsonHandler handler) {
        return exchange ->
                Bodies.readJson(
                        exchange,
                        MAX_JSON_BYTES,
                        (ex, json) -> {
                            if (json == null || json.isMissingNode()) {
                                throw new KilnException(
                                        ErrorCode.BAD_REQUEST, "body must be a JSON object");
                            }
                            ex.dispatch(
                                    () -> ErrorBoundary.run(ex, () -> handler.handle(ex, json)));
                        });
    }

    /** Runs {@code handler} on a worker thread: queue reads and waits touch disk. */
    private static HttpHandler blocking(HttpHandler handler) {
        return exchange ->
                exchange.dispatch(
                        () -> ErrorBoundary.run(exchange, () -> handler.handleRequest(exchange)));
    }

    private static String service(HttpServerExchange ex) {
        return PathParams.get(ex, "service");
    }

    private static String function(HttpServerExchange ex) {
        return PathParams.get(ex, "function");
    }

    private static int limit(HttpServerExchange ex) {
        String v = QueryParams.first(ex, "limit");
        if (v == null) {
            return 50;
        }
        try {
            int n = Integer.parseInt(v);
            if (n >= 1 && n <= ManagementApi.MAX_PAGE) {
                return n;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new KilnException(
                ErrorCode.BAD_REQUEST,
                "limit must be an integer from 1 to " + ManagementApi.MAX_PAGE);
    }

    private static long position(HttpServerExchange ex, String name) {
        String v = QueryParams.first(ex, name);
        if (v == null) {
            return 0;
        }
        try {
            long n = Long.parseLong(v);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new KilnException(
                ErrorCode.BAD_REQUEST, name + " must be a queue position (a whole number)");
    }
}
