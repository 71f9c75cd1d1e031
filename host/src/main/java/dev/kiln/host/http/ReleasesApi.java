package dev.kiln.host.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.deploy.AliasRequest;
import dev.kiln.host.deploy.Releases;
import dev.kiln.host.registry.AliasInfo;
import dev.kiln.host.registry.FunctionInfo;
import dev.kiln.host.registry.FunctionSettings;
import dev.kiln.host.registry.Registry;
import dev.kiln.host.registry.VersionInfo;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RoutingHandler;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Versions and aliases of a function (docs/adr/0037): {@code …/versions/{version}} (GET, DELETE),
 * {@code …/versions/{version}/code}, {@code …/aliases} and {@code …/aliases/{alias}} (GET, PUT,
 * DELETE).
 */
final class ReleasesApi {
    static final int MAX_BODY_BYTES = 4 * 1024;
    static final HttpString X_SHA256 = new HttpString("X-Kiln-Sha256");
    private static final String FN = "/api/v1/services/{service}/functions/{function}";

    private final Registry registry;
    private final Releases releases;

    ReleasesApi(Registry registry, Releases releases) {
        this.registry = registry;
        this.releases = releases;
    }

    /** Adds this API's routes to {@code routes}. */
    RoutingHandler addTo(RoutingHandler routes) {
        return routes.get(FN + "/versions/{version}", blocking(this::getVersion))
                .get(FN + "/versions/{version}/code", blocking(this::getCode))
                .delete(FN + "/versions/{version}", blocking(this::deleteVersion))
                .get(FN + "/aliases", blocking(this::listAliases))
                .get(FN + "/aliases/{alias}", blocking(this::getAlias))
                .put(FN + "/aliases/{alias}", this::putAlias)
                .delete(FN + "/aliases/{alias}", blocking(this::deleteAlias));
    }

    /** The settings that belong to a version's code (docs/adr/0037). */
    record CodeSettings(
            String handler,
            String abi,
            int timeoutMs,
            int memoryMiB,
            Map<String, String> env,
            long fuel) {
        static CodeSettings of(FunctionSettings s) {
            return new CodeSettings(
                    s.handler(), s.abi(), s.timeoutMs(), s.memoryMiB(), s.env(), s.fuel());
        }
    }

    /**
     * One version: what it is, the settings of its code, whether LATEST runs it and which aliases
     * point at it.
     */
    record VersionView(
            int number,
            String sha256,
            long sizeBytes,
            String createdAt,
            CodeSettings settings,
            boolean latest,
            List<String> aliases,
            Map<String, String> urls) {
        static VersionView of(FunctionInfo f, VersionInfo v, List<AliasInfo> aliases) {
            String base =
                    "/api/v1/services/"
                            + f.service()
                            + "/functions/"
                            + f.name()
                            + "/versions/"
                            + v.number();
            return new VersionView(
                    v.number(),
                    v.sha256(),
                    v.sizeBytes(),
                    Views.iso(v.createdAt()),
                    CodeSettings.of(v.settings()),
                    v.number() == f.latest().number(),
                    aliases.stream().filter(a -> a.runs(v.number())).map(AliasInfo::name).toList(),
                    Map.of(
                            "code",
                            base + "/code",
                            "http",
                            "/fn/" + f.service() + "/" + f.name() + "@" + v.number() + "/"));
        }
    }

    /** An alias as the API shows it: Function Compute's shape. */
    record AliasView(
            String name,
            int version,
            Map<String, Double> additionalVersionWeight,
            String description,
            String createdAt,
            String updatedAt) {
        static AliasView of(AliasInfo a) {
            Map<String, Double> weights = new TreeMap<>();
            if (a.additionalVersion() != 0) {
                weights.put(Integer.toString(a.additionalVersion()), a.additionalWeight());
            }
            return new AliasView(
                    a.name(),
                    a.version(),
                    weights,
                    a.description(),
                    Views.iso(a.createdAt()),
                    Views.iso(a.updatedAt()));
        }
    }

    private void getVersion(HttpServerExchange ex) {
        FunctionInfo f = function(ex);
        VersionInfo v = registry.requireVersion(f.service(), f.name(), number(ex));
        Responses.json(ex, 200, VersionView.of(f, v, registry.aliases(f.service(), f.name())));
    }

    /** The bytes as uploaded (verified against their sha-256 on the way out). */
    private void getCode(HttpServerExchange ex) {
        FunctionInfo f = function(ex);
        VersionInfo v = registry.requireVersion(f.service(), f.name(), number(ex));
        byte[] bytes = registry.readModule(v.sha256());
        var headers = ex.getResponseHeaders();
        headers.put(Headers.CONTENT_TYPE, "application/wasm");
        headers.put(X_SHA256, v.sha256());
        headers.put(Headers.ETAG, "\"" + v.sha256() + "\"");
        ex.getResponseSender().send(ByteBuffer.wrap(bytes));
    }

    private void deleteVersion(HttpServerExchange ex) {
        FunctionInfo f = function(ex);
        releases.deleteVersion(f.service(), f.name(), number(ex));
        ex.setStatusCode(204);
        ex.endExchange();
    }

    private void listAliases(HttpServerExchange ex) {
        FunctionInfo f = function(ex);
        Responses.json(
                ex,
                200,
                Map.of(
                        "aliases",
                        registry.aliases(f.service(), f.name()).stream()
                                .map(AliasView::of)
                                .toList()));
    }

    private void getAlias(HttpServerExchange ex) {
        FunctionInfo f = function(ex);
        Responses.json(
                ex,
                200,
                AliasView.of(
                        registry.requireAlias(f.service(), f.name(), PathParams.get(ex, "alias"))));
    }

    private void putAlias(HttpServerExchange exchange) {
        FunctionInfo f = function(exchange);
        String name = PathParams.get(exchange, "alias");
        Bodies.read(
                exchange,
                MAX_BODY_BYTES,
                (ex, body) -> {
                    JsonNode json;
                    try {
                        json = Responses.JSON.readTree(body);
                    } catch (IOException e) {
                        throw new KilnException(ErrorCode.BAD_REQUEST, "body is not valid JSON");
                    }
                    AliasRequest request = AliasRequest.fromJson(json, name);
                    ex.dispatch(
                            () ->
                                    ErrorBoundary.run(
                                            ex,
                                            () -> {
                                                Registry.AliasWrite w =
                                                        releases.putAlias(
                                                                f.service(),
                                                                f.name(),
                                                                name,
                                                                request);
                                                Responses.json(
                                                        ex,
                                                        w.created() ? 201 : 200,
                                                        AliasView.of(w.alias()));
                                            }));
                });
    }

    private void deleteAlias(HttpServerExchange ex) {
        FunctionInfo f = function(ex);
        releases.deleteAlias(f.service(), f.name(), PathParams.get(ex, "alias"));
        ex.setStatusCode(204);
        ex.endExchange();
    }

    private FunctionInfo function(HttpServerExchange ex) {
        return registry.require(PathParams.get(ex, "service"), PathParams.get(ex, "function"));
    }

    /** The path's version number; anything else is {@code bad_request}. */
    private static int number(HttpServerExchange ex) {
        String text = PathParams.get(ex, "version");
        if (text.isEmpty()
                || text.length() > 9
                || !text.chars().allMatch(c -> c >= '0' && c <= '9')
                || Integer.parseInt(text) < 1) {
            throw new KilnException(
                    ErrorCode.BAD_REQUEST, "a version is a number from 1 (the path's {version})");
        }
        return Integer.parseInt(text);
    }

    private static HttpHandler blocking(HttpHandler handler) {
        return exchange ->
                exchange.dispatch(
                        () -> ErrorBoundary.run(exchange, () -> handler.handleRequest(exchange)));
    }
}
