package dev.kiln.host.http;

import dev.kiln.host.quota.QuotaStore;
import dev.kiln.host.quota.ServiceAdmission;
import dev.kiln.host.quota.ServiceQuota;
import dev.kiln.host.registry.FunctionInfo;
import dev.kiln.host.registry.Registry;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RoutingHandler;
import java.util.List;

/**
 * {@code /api/v1/services/{service}/quota}: GET, PUT (replaces the whole quota; absent or null
 * fields are no limit), DELETE. A quota may be set before the service holds any function.
 */
final class QuotaApi {
    static final int MAX_JSON_BYTES = 4 * 1024;
    private static final String PATH = "/api/v1/services/{service}/quota";

    private final QuotaStore quotas;
    private final ServiceAdmission admission;
    private final Registry registry;

    QuotaApi(QuotaStore quotas, ServiceAdmission admission, Registry registry) {
        this.quotas = quotas;
        this.admission = admission;
        this.registry = registry;
    }

    /** Adds this API's routes to {@code routes}. */
    RoutingHandler addTo(RoutingHandler routes) {
        return routes.get(PATH, blocking(this::get))
                .put(PATH, this::put)
                .delete(PATH, blocking(this::delete));
    }

    /** The quota, each field null when unset, and what the service uses now. */
    record View(
            String service,
            Integer maxFunctions,
            Integer maxMemoryMiB,
            Integer maxConcurrency,
            Integer maxInvocationsPerSecond,
            Usage usage) {}

    /** What counts against the quota now. */
    record Usage(int functions, long memoryMiB, int concurrency) {}

    private void get(HttpServerExchange ex) {
        String service = PathParams.service(ex);
        Responses.json(ex, 200, view(service, quotas.get(service)));
    }

    private void put(HttpServerExchange exchange) {
        String service = PathParams.service(exchange);
        Bodies.readJson(
                exchange,
                MAX_JSON_BYTES,
                (ex, json) -> {
                    ServiceQuota quota = ServiceQuota.fromJson(json);
                    ex.dispatch(
                            () ->
                                    ErrorBoundary.run(
                                            ex,
                                            () -> {
                                                quotas.put(service, quota);
                                                admission.quotaChanged(service);
                                                Responses.json(ex, 200, view(service, quota));
                                            }));
                });
    }

    private void delete(HttpServerExchange ex) {
        String service = PathParams.service(ex);
        quotas.delete(service);
        admission.quotaChanged(service);
        ex.setStatusCode(204);
        ex.endExchange();
    }

    private View view(String service, ServiceQuota q) {
        List<FunctionInfo> functions = registry.functions(service);
        long memory = 0;
        for (FunctionInfo f : functions) {
            memory += f.settings().memoryMiB();
        }
        return new View(
                service,
                q.maxFunctions(),
                q.maxMemoryMiB(),
                q.maxConcurrency(),
                q.maxInvocationsPerSecond(),
                new Usage(functions.size(), memory, admission.inFlight(service)));
    }

    private static HttpHandler blocking(HttpHandler handler) {
        return exchange ->
                exchange.dispatch(
                        () -> ErrorBoundary.run(exchange, () -> handler.handleRequest(exchange)));
    }
}
