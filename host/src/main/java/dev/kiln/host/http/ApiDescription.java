package dev.kiln.host.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code GET /api/v1/openapi.json}: the OpenAPI 3.1 description of the HTTP API (docs/adr/0042).
 *
 * <p>The document is the resource {@code openapi.json} beside this class, written by hand, with one
 * part generated here: the schema of {@code GET /api/v1/limits}, from the record it answers with
 * ({@link Views.Limits}), so a new limit needs no edit of the document. What keeps the hand-written
 * rest true is tested: {@code OpenApiDocumentTest} checks it against the router's routes, their
 * path parameters, the error codes and the request fields the server accepts, and validates it
 * against the OpenAPI 3.1 schema; {@code OpenApiResponsesTest} sends a request to every operation
 * of a real host and validates each answer against it. The query parameters a route reads are the
 * ones it declares here: {@link QueryParams} refuses, as an internal error, to read one that is not
 * documented for the route, so a handler cannot grow an undocumented parameter.
 *
 * <p>Public, like {@code /healthz}: it describes the API, not this host's functions or settings.
 */
final class ApiDescription {
    static final String PATH = "/api/v1/openapi.json";

    private static final Set<String> METHODS =
            Set.of("get", "put", "post", "delete", "patch", "head", "options", "trace");

    private static final ObjectNode DOCUMENT = load();
    private static final byte[] BYTES = bytes(DOCUMENT);
    private static final Map<String, Set<String>> QUERY_PARAMETERS = queryParameters(DOCUMENT);
    // The same, by method then template: looked up on every request that reads a query
    // parameter, so without building a key string.
    private static final Map<String, Map<String, Set<String>>> BY_METHOD = byMethod();

    private ApiDescription() {}

    /** The document, as served (a copy). */
    static ObjectNode document() {
        return DOCUMENT.deepCopy();
    }

    /** Answers {@code GET /api/v1/openapi.json}; any other method is 405. */
    static void serve(HttpServerExchange exchange) {
        if (!Methods.GET.equals(exchange.getRequestMethod())) {
            exchange.getResponseHeaders().put(Headers.ALLOW, "GET");
            throw new KilnException(
                    ErrorCode.METHOD_NOT_ALLOWED,
                    "method " + exchange.getRequestMethod() + " is not allowed on this endpoint");
        }
        exchange.setStatusCode(200);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
        exchange.getResponseSender().send(ByteBuffer.wrap(BYTES));
    }

    /**
     * The query parameters the operation {@code method template} declares (empty for an operation
     * the document does not have).
     */
    static Set<String> queryParameters(String method, String template) {
        Map<String, Set<String>> templates = BY_METHOD.get(method);
        if (templates == null) {
            templates = BY_METHOD.getOrDefault(method.toUpperCase(Locale.ROOT), Map.of());
        }
        return templates.getOrDefault(template, Set.of());
    }

    private static Map<String, Map<String, Set<String>>> byMethod() {
        Map<String, Map<String, Set<String>>> out = new HashMap<>();
        QUERY_PARAMETERS.forEach(
                (key, names) -> {
                    int space = key.indexOf(' ');
                    out.computeIfAbsent(key.substring(0, space), m -> new HashMap<>())
                            .put(key.substring(space + 1), names);
                });
        out.replaceAll((m, templates) -> Map.copyOf(templates));
        return Map.copyOf(out);
    }

    /** Every operation of the document, as {@code "METHOD template"}. */
    static Set<String> operations() {
        return QUERY_PARAMETERS.keySet();
    }

    private static String key(String method, String template) {
        return method.toUpperCase(Locale.ROOT) + " " + template;
    }

    private static ObjectNode load() {
        try (InputStream in = ApiDescription.class.getResourceAsStream("openapi.json")) {
            if (in == null) {
                throw new IllegalStateException("openapi.json is missing from the jar");
            }
            ObjectNode doc = (ObjectNode) Responses.JSON.readTree(in);
            ObjectNode schemas = (ObjectNode) doc.path("components").path("schemas");
            ObjectNode limits = schemaOf(Views.Limits.class, Views.Limits.class);
            limits.put("description", schemas.path("Limits").path("description").asText());
            schemas.set("Limits", limits);
            return doc;
        } catch (IOException e) {
            throw new UncheckedIOException("openapi.json cannot be read", e);
        }
    }

    private static byte[] bytes(ObjectNode doc) {
        try {
            return Responses.JSON.writeValueAsBytes(doc);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("openapi.json cannot be written", e);
        }
    }

    /** "METHOD template" → the names of its query parameters (path-level ones included). */
    private static Map<String, Set<String>> queryParameters(ObjectNode doc) {
        Map<String, Set<String>> out = new HashMap<>();
        JsonNode components = doc.path("components").path("parameters");
        for (Map.Entry<String, JsonNode> path : doc.path("paths").properties()) {
            for (Map.Entry<String, JsonNode> op : path.getValue().properties()) {
                if (!METHODS.contains(op.getKey())) {
                    continue;
                }
                Set<String> names = new LinkedHashSet<>();
                for (JsonNode list :
                        new JsonNode[] {
                            path.getValue().path("parameters"), op.getValue().path("parameters")
                        }) {
                    for (JsonNode p : list) {
                        JsonNode resolved = resolve(p, components);
                        if (resolved.path("in").asText().equals("query")) {
                            names.add(resolved.path("name").asText());
                        }
                    }
                }
                out.put(key(op.getKey(), path.getKey()), Set.copyOf(names));
            }
        }
        return Map.copyOf(out);
    }

    /** A parameter, or the component parameter its {@code $ref} names. */
    static JsonNode resolve(JsonNode parameter, JsonNode componentParameters) {
        String ref = parameter.path("$ref").asText("");
        String prefix = "#/components/parameters/";
        return ref.startsWith(prefix)
                ? componentParameters.path(ref.substring(prefix.length()))
                : parameter;
    }

    /**
     * The JSON Schema of a view record as {@link Responses#JSON} writes it: an object with every
     * component, each required, nothing else.
     */
    static ObjectNode schemaOf(Class<?> raw, Type type) {
        ObjectNode s = JsonNodeFactory.instance.objectNode();
        if (raw == int.class
                || raw == long.class
                || raw == short.class
                || raw == Integer.class
                || raw == Long.class) {
            s.put("type", "integer");
        } else if (raw == double.class || raw == float.class || raw == Double.class) {
            s.put("type", "number");
        } else if (raw == boolean.class || raw == Boolean.class) {
            s.put("type", "boolean");
        } else if (raw == String.class || raw.isEnum()) {
            s.put("type", "string");
        } else if (Collection.class.isAssignableFrom(raw)) {
            s.put("type", "array");
            Type item = typeArgument(type, 0);
            s.set("items", schemaOf(rawOf(item), item));
        } else if (Map.class.isAssignableFrom(raw)) {
            s.put("type", "object");
            Type value = typeArgument(type, 1);
            s.set("additionalProperties", schemaOf(rawOf(value), value));
        } else if (raw.isRecord()) {
            s.put("type", "object");
            s.put("additionalProperties", false);
            ObjectNode properties = s.putObject("properties");
            ArrayNode required = s.putArray("required");
            for (RecordComponent c : raw.getRecordComponents()) {
                properties.set(c.getName(), schemaOf(c.getType(), c.getGenericType()));
                required.add(c.getName());
            }
        } else {
            throw new IllegalStateException("no schema for " + raw + " in the limits view");
        }
        return s;
    }

    private static Type typeArgument(Type type, int index) {
        if (type instanceof ParameterizedType p) {
            return p.getActualTypeArguments()[index];
        }
        throw new IllegalStateException("a raw collection in the limits view: " + type);
    }

    private static Class<?> rawOf(Type type) {
        if (type instanceof Class<?> c) {
            return c;
        }
        if (type instanceof ParameterizedType p) {
            return (Class<?>) p.getRawType();
        }
        throw new IllegalStateException("no schema for " + type + " in the limits view");
    }
}
