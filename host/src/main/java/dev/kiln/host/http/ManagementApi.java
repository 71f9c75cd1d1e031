package dev.kiln.host.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.host.access.Principal;
import dev.kiln.host.access.Role;
import dev.kiln.host.config.KilnConfig;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.deploy.DeployExecutor;
import dev.kiln.host.deploy.Deployer;
import dev.kiln.host.deploy.Deployment;
import dev.kiln.host.deploy.SettingsPatch;
import dev.kiln.host.observability.InvocationStore;
import dev.kiln.host.registry.FunctionInfo;
import dev.kiln.host.registry.Registry;
import dev.kiln.host.secrets.Secrets;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RoutingHandler;
import io.undertow.util.Methods;
import io.undertow.util.SameThreadExecutor;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/** Routes of {@code /api/v1}: functions, versions, invocation records, logs and limits. */
final class ManagementApi {
    static final int MAX_PATCH_BYTES = 256 * 1024;
    static final int MAX_PAGE = 200;
    private static final String FN = "/api/v1/services/{service}/functions/{function}";
    private static final String SECRETS = "secrets";

    private final Registry registry;
    private final Deployer deployer;
    private final DeployExecutor uploads;
    private final InvocationStore records;
    private final KilnConfig config;
    private final Secrets secrets;
    private final LogFollow follow;
    private DeletionListener afterDelete = (service, function) -> {};

    /** Told after a function was deleted, so state kept elsewhere about it goes too. */
    interface DeletionListener {
        void deleted(String service, String function) throws Exception;
    }

    ManagementApi(
            Registry registry,
            Deployer deployer,
            DeployExecutor uploads,
            InvocationStore records,
            KilnConfig config,
            Secrets secrets) {
        this.secrets = secrets;
        this.registry = registry;
        this.deployer = deployer;
        this.uploads = uploads;
        this.records = records;
        this.config = config;
        this.follow = new LogFollow(records);
    }

    ManagementApi afterDelete(DeletionListener listener) {
        this.afterDelete = listener;
        return this;
    }

    RoutingHandler routes(HttpHandler invoke) {
        // Every route goes through GuardedRoutes: PermissionTable must have an entry for it.
        return new GuardedRoutes()
                .get("/api/v1/limits", ex -> Responses.json(ex, 200, Views.Limits.of(config)))
                .get("/api/v1/services", blocking(this::listServices))
                .get("/api/v1/services/{service}/functions", blocking(this::listFunctions))
                .put(FN, this::upload)
                .add(Methods.PATCH, FN, this::patch)
                .get(FN, blocking(this::getFunction))
                .delete(FN, blocking(this::deleteFunction))
                .get(FN + "/versions", blocking(this::versions))
                .post(FN + "/invoke", invoke)
                .get(FN + "/invocations", blocking(this::listInvocations))
                .get(FN + "/invocations/{requestId}", blocking(this::getInvocation))
                .get(FN + "/logs", blocking(this::logs))
                .setFallbackHandler(
                        ex -> {
                            throw new KilnException(ErrorCode.NOT_FOUND, "no such API endpoint");
                        });
    }

    /** Runs {@code handler} on a worker thread: registry and record reads may touch disk. */
    private static HttpHandler blocking(HttpHandler handler) {
        return exchange ->
                exchange.dispatch(
                        () -> ErrorBoundary.run(exchange, () -> handler.handleRequest(exchange)));
    }

    /** The services the key reaches (all for an unscoped key), like Cloudflare's zone list. */
    private void listServices(HttpServerExchange ex) {
        Principal who = ex.getAttachment(AccessControl.PRINCIPAL);
        var services = registry.services().stream().filter(who.services()::covers).toList();
        Responses.json(ex, 200, Map.of("services", services));
    }

    private void listFunctions(HttpServerExchange ex) {
        String service = PathParams.get(ex, "service");
        var functions = registry.functions(service).stream().map(this::view).toList();
        if (functions.isEmpty()) {
            // A service exists while it holds a function, as GET /api/v1/services lists them.
            throw new KilnException(ErrorCode.SERVICE_NOT_FOUND, "no such service");
        }
        Responses.json(ex, 200, Map.of("service", service, "functions", functions));
    }

    private void getFunction(HttpServerExchange ex) {
        Responses.json(ex, 200, view(find(ex)));
    }

    /** A function as the API shows it, with the names of its secrets (never their values). */
    private Views.Function view(FunctionInfo f) {
        return Views.Function.of(f, secrets.list(f.service(), f.name()));
    }

    private void versions(HttpServerExchange ex) {
        FunctionInfo f = find(ex);
        var versions =
                registry.versions(f.service(), f.name()).stream().map(Views.Version::of).toList();
        Responses.json(ex, 200, Map.of("versions", versions));
    }

    private void deleteFunction(HttpServerExchange ex) throws Exception {
        String service = PathParams.get(ex, "service");
        String function = PathParams.get(ex, "function");
        deployer.delete(service, function);
        secrets.deleteFunction(service, function);
        records.forget(service, function);
        afterDelete.deleted(service, function);
        ex.setStatusCode(204);
        ex.endExchange();
    }

    private void upload(HttpServerExchange exchange) {
        String service = PathParams.get(exchange, "service");
        String function = PathParams.get(exchange, "function");
        Bodies.read(
                exchange,
                config.maxUploadBytes(),
                (ex, body) -> {
                    String type = Bodies.mediaType(ex);
                    answerWhenDone(
                            ex,
                            uploads.submit(
                                    deadline ->
                                            deployer.deploy(
                                                    service, function, type, body, deadline)),
                            (Deployment d) ->
                                    Responses.json(
                                            ex, d.created() ? 201 : 200, view(d.function())));
                });
    }

    private void patch(HttpServerExchange exchange) {
        String service = PathParams.get(exchange, "service");
        String function = PathParams.get(exchange, "function");
        Bodies.readJson(
                exchange,
                MAX_PATCH_BYTES,
                (ex, json) -> {
                    // Secrets are not settings: they are stored apart, sealed, and never shown.
                    Map<String, String> secretChanges = null;
                    if (json != null && json.isObject() && json.has(SECRETS)) {
                        secretChanges = Secrets.changesFromJson(json.get(SECRETS));
                        json = ((ObjectNode) json).deepCopy();
                        ((ObjectNode) json).remove(SECRETS);
                    }
                    SettingsPatch patch = SettingsPatch.fromJson(json, "settings", Set.of());
                    // Granting host directories is the host administrator's call, not a tenant's.
                    Principal who = ex.getAttachment(AccessControl.PRINCIPAL);
                    if (patch.wasiReadOnlyDirs() != null && who.role() != Role.ADMIN) {
                        throw new KilnException(
                                ErrorCode.FORBIDDEN,
                                "wasiReadOnlyDirs grants host directories: only an admin key may"
                                        + " set it");
                    }
                    Map<String, String> changes = secretChanges;
                    if (changes != null && patch.equals(SettingsPatch.EMPTY)) {
                        // Secrets only: no settings change, no compile; a durable write.
                        ex.dispatch(
                                () ->
                                        ErrorBoundary.run(
                                                ex,
                                                () -> {
                                                    FunctionInfo f =
                                                            registry.require(service, function);
                                                    secrets.apply(service, function, changes);
                                                    Responses.json(ex, 200, view(f));
                                                }));
                        return;
                    }
                    if (changes != null) {
                        // Refused before anything changes: a bad secret must not leave the
                        // settings half of the PATCH applied.
                        registry.require(service, function);
                        secrets.check(service, function, changes);
                    }
                    // New handler, memory cap or ABI: compiled and checked like an upload.
                    answerWhenDone(
                            ex,
                            uploads.submit(
                                    deadline -> {
                                        FunctionInfo f =
                                                deployer.patch(service, function, patch, deadline);
                                        if (changes != null) {
                                            secrets.apply(service, function, changes);
                                        }
                                        return f;
                                    }),
                            (FunctionInfo f) -> Responses.json(ex, 200, view(f)));
                });
    }

    /**
     * Answers once {@code result} completes (on the thread that completes it), holding no thread
     * meanwhile: an upload's check runs on the {@link DeployExecutor}, never on an Undertow worker.
     */
    // whenComplete's own future is dropped: ErrorBoundary answers every failure, the callback's
    // too.
    @SuppressWarnings("FutureReturnValueIgnored")
    private static <T> void answerWhenDone(
            HttpServerExchange exchange, CompletableFuture<T> result, Answer<T> answer) {
        // Marks the exchange as handed off, so Undertow does not end it when this handler returns.
        exchange.dispatch(
                SameThreadExecutor.INSTANCE,
                () ->
                        result.whenComplete(
                                (value, failure) ->
                                        ErrorBoundary.run(
                                                exchange,
                                                () -> {
                                                    Futures.rethrow(failure);
                                                    answer.send(value);
                                                })));
    }

    @FunctionalInterface
    private interface Answer<T> {
        void send(T value) throws Exception;
    }

    private void listInvocations(HttpServerExchange ex) {
        FunctionInfo f = find(ex);
        int limit = intParam(ex, "limit", 50);
        String before = QueryParams.first(ex, "before");
        var list =
                records.listWithLogCounts(f.service(), f.name(), limit, before).stream()
                        .map(l -> Views.Invocation.of(l.record(), l.logCount()))
                        .toList();
        Responses.json(ex, 200, Map.of("invocations", list));
    }

    private void getInvocation(HttpServerExchange ex) {
        FunctionInfo f = find(ex);
        String id = PathParams.get(ex, "requestId");
        var record =
                records.get(f.service(), f.name(), id)
                        .orElseThrow(
                                () ->
                                        new KilnException(
                                                ErrorCode.NOT_FOUND,
                                                "no invocation " + id + " of this function"));
        Responses.json(ex, 200, Views.Invocation.of(record));
    }

    private void logs(HttpServerExchange ex) throws Exception {
        FunctionInfo f = find(ex);
        int limit = intParam(ex, "limit", 100);
        if (LogFollow.wanted(ex)) {
            // Server-sent events (docs/adr/0043); limit bounds the since backlog.
            follow.start(ex, f, LogFollow.filter(ex), limit);
            return;
        }
        var lines =
                records.recentLogs(f.service(), f.name(), limit).stream()
                        .map(e -> Views.LogLine.of(e.line(), e.requestId()))
                        .toList();
        Responses.json(ex, 200, Map.of("logs", lines));
    }

    private FunctionInfo find(HttpServerExchange ex) {
        return registry.require(PathParams.get(ex, "service"), PathParams.get(ex, "function"));
    }

    private static int intParam(HttpServerExchange ex, String name, int dflt) {
        return QueryParams.intFromOne(ex, name, dflt, MAX_PAGE);
    }
}
