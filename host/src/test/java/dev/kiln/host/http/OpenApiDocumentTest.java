package dev.kiln.host.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.kiln.host.access.KeyRequest;
import dev.kiln.host.access.PermissionTable;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.deploy.AliasRequest;
import dev.kiln.host.deploy.SettingsPatch;
import dev.kiln.host.events.AsyncConfig;
import dev.kiln.host.quota.ServiceQuota;
import dev.kiln.host.routes.Route;
import dev.kiln.host.testing.TestHost;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HttpString;
import java.lang.reflect.Field;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /api/v1/openapi.json} (docs/adr/0042): a valid OpenAPI 3.1 document, served without a
 * key, that describes exactly the router's routes, their path parameters, every error code and the
 * request fields the server accepts. {@code OpenApiResponsesTest} checks real answers against it.
 */
class OpenApiDocumentTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> PUBLIC = Set.of("GET /healthz", "GET /api/v1/openapi.json");
    private static final Set<String> METHODS =
            Set.of("get", "put", "post", "delete", "patch", "head", "options", "trace");

    @TempDir Path data;

    @Test
    void theServedDocumentIsAValidOpenApi31DocumentAndNeedsNoKey() throws Exception {
        try (TestHost kiln = TestHost.start(data)) {
            HttpResponse<byte[]> r = kiln.get("/api/v1/openapi.json");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
            JsonNode doc = JSON.readTree(r.body());
            assertThat(doc.path("openapi").asText()).isEqualTo("3.1.0");

            // The OpenAPI Initiative's schema for 3.1 documents whose Schema Objects use the
            // default dialect: it checks the document's structure and every schema in it.
            Schema oas =
                    SchemaRegistry.withDefaultDialect(
                                    SpecificationVersion.DRAFT_2020_12,
                                    b ->
                                            b.schemaIdResolvers(
                                                    ids ->
                                                            ids.mapPrefix(
                                                                    "https://spec.openapis.org/oas/3.1",
                                                                    "classpath:oas/3.1")))
                            .getSchema(
                                    SchemaLocation.of(
                                            "https://spec.openapis.org/oas/3.1/schema-base/2022-10-07"));
            assertThat(oas.validate(doc)).as("OpenAPI 3.1 schema violations").isEmpty();

            // The validator is not blind: a broken document is refused.
            var broken = doc.deepCopy();
            ((com.fasterxml.jackson.databind.node.ObjectNode) broken.path("paths"))
                    .putObject("/x")
                    .putObject("get")
                    .put("responses", "none");
            assertThat(oas.validate(broken)).isNotEmpty();

            // Public: no key, and a bad one, are not asked for (like /healthz).
            var withBadKey =
                    kiln.send(
                            kiln.request("/api/v1/openapi.json")
                                    .header("Authorization", "Bearer nope")
                                    .build());
            assertThat(withBadKey.statusCode()).isEqualTo(200);
            var post =
                    kiln.send(
                            kiln.request("/api/v1/openapi.json")
                                    .POST(java.net.http.HttpRequest.BodyPublishers.noBody())
                                    .build());
            assertThat(TestHost.errorCode(post)).isEqualTo("method_not_allowed");
            assertThat(kiln.get("/healthz").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void everyRouteIsDocumentedAndEveryDocumentedOperationIsARoute() {
        try (TestHost kiln = TestHost.start(data)) {
            Set<String> routes = new TreeSet<>(kiln.host().routes());
            routes.addAll(PUBLIC);
            Set<String> documented = new TreeSet<>(operations(ApiDescription.document()).keySet());
            assertThat(routes)
                    .as(
                            "routes missing from host/src/main/resources/dev/kiln/host/http/"
                                    + "openapi.json (add them there)")
                    .isSubsetOf(documented);
            assertThat(documented).as("documented operations that are no route").isSubsetOf(routes);
            assertThat(ApiDescription.operations()).isEqualTo(documented);
        }
    }

    @Test
    void pathParametersAreExactlyTheTemplatesAndEveryOperationIsComplete() {
        JsonNode doc = ApiDescription.document();
        JsonNode components = doc.path("components").path("parameters");
        Set<String> operationIds = new HashSet<>();
        operations(doc)
                .forEach(
                        (key, op) -> {
                            String template = key.substring(key.indexOf(' ') + 1);
                            Set<String> inTemplate = new TreeSet<>();
                            Matcher m = Pattern.compile("\\{([^}]+)}").matcher(template);
                            while (m.find()) {
                                inTemplate.add(m.group(1));
                            }
                            Set<String> declared = new TreeSet<>();
                            for (JsonNode p : op.parameters()) {
                                JsonNode resolved = ApiDescription.resolve(p, components);
                                assertThat(resolved.isMissingNode())
                                        .as(key + ": unresolved parameter " + p)
                                        .isFalse();
                                if (resolved.path("in").asText().equals("path")) {
                                    assertThat(resolved.path("required").asBoolean())
                                            .as(key + " path parameter required")
                                            .isTrue();
                                    declared.add(resolved.path("name").asText());
                                }
                            }
                            assertThat(declared).as(key + " path parameters").isEqualTo(inTemplate);
                            assertThat(operationIds.add(op.node().path("operationId").asText()))
                                    .as(key + " has a unique operationId")
                                    .isTrue();
                            JsonNode responses = op.node().path("responses");
                            assertThat(responses.has("default") || key.equals("GET /healthz"))
                                    .as(key + " documents its errors (default: Error)")
                                    .isTrue();
                            assertThat(
                                            responses.properties().stream()
                                                    .anyMatch(e -> e.getKey().startsWith("2")))
                                    .as(key + " documents a success")
                                    .isTrue();
                        });
    }

    @Test
    void theErrorSchemaListsEveryErrorCode() {
        JsonNode schemas = ApiDescription.document().path("components").path("schemas");
        Set<String> documented = new TreeSet<>();
        schemas.path("ErrorCode").path("enum").forEach(n -> documented.add(n.asText()));
        Set<String> codes =
                Arrays.stream(ErrorCode.values())
                        .map(ErrorCode::wire)
                        .collect(Collectors.toCollection(TreeSet::new));
        assertThat(documented).isEqualTo(codes);
        JsonNode error = schemas.path("Error").path("properties").path("error");
        assertThat(names(error.path("required")))
                .containsExactlyInAnyOrder("code", "message", "requestId");
    }

    /**
     * Each JSON request body lists the fields its parser accepts, read from the parser's own field
     * list: a field the server starts to accept cannot be left out of the document.
     */
    @Test
    void requestBodiesListExactlyTheFieldsTheServerAccepts() throws Exception {
        JsonNode schemas = ApiDescription.document().path("components").path("schemas");
        Set<String> settings = new TreeSet<>(staticSet(SettingsPatch.class, "FIELDS"));
        settings.add("wasiReadOnlyDirs"); // PATCH only, admin only
        settings.add("secrets"); // read by ManagementApi before SettingsPatch
        assertFields(schemas, "SettingsPatch", settings);
        Set<String> alias = new TreeSet<>(staticSet(AliasRequest.class, "FIELDS"));
        alias.addAll(staticSet(AliasRequest.class, "IGNORED"));
        assertFields(schemas, "AliasRequest", alias);
        assertFields(schemas, "AsyncConfigRequest", staticSet(AsyncConfig.class, "FIELDS"));
        assertFields(schemas, "KeyRequest", staticSet(KeyRequest.class, "FIELDS"));
        assertFields(schemas, "RouteRequest", Set.copyOf(Route.FIELDS));
        assertFields(schemas, "QuotaRequest", ServiceQuota.MAXIMA.keySet());
        Class<?> trigger = Class.forName("dev.kiln.host.triggers.Trigger");
        Set<String> triggerFields = new TreeSet<>(staticSet(trigger, "TOPIC_FIELDS"));
        triggerFields.addAll(staticSet(trigger, "TIMER_FIELDS"));
        assertFields(schemas, "TriggerRequest", triggerFields);
    }

    /** A route reads only the query parameters the document declares for it. */
    @Test
    void anUndeclaredQueryParameterCannotBeRead() {
        var ex = new HttpServerExchange(null);
        ex.setRequestMethod(new HttpString("GET"));
        ex.putAttachment(
                AccessControl.ROUTE,
                new AccessControl.RouteRule(
                        "/api/v1/services/{service}/functions/{function}/logs",
                        PermissionTable.lookup(
                                        "GET",
                                        "/api/v1/services/{service}/functions/{function}/logs")
                                .orElseThrow()));
        ex.addQueryParam("limit", "7");
        ex.addQueryParam("colour", "red");
        assertThat(QueryParams.intFromOne(ex, "limit", 1, 200)).isEqualTo(7);
        assertThatThrownBy(() -> QueryParams.first(ex, "colour"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("'colour'")
                .hasMessageContaining("openapi.json");
        assertThat(ApiDescription.queryParameters("GET", "/api/v1/audit"))
                .containsExactlyInAnyOrder("since", "limit");
        assertThat(
                        ApiDescription.queryParameters(
                                "POST", "/api/v1/services/{service}/functions/{function}/invoke"))
                .containsExactly("qualifier");
    }

    private static void assertFields(JsonNode schemas, String schema, Collection<String> fields) {
        JsonNode s = schemas.path(schema);
        assertThat(s.path("additionalProperties").asBoolean(true))
                .as(schema + " refuses other fields, as the server does")
                .isFalse();
        assertThat(names(s.path("properties")))
                .as("fields of " + schema + " in openapi.json")
                .containsExactlyInAnyOrderElementsOf(fields);
    }

    private static Set<String> names(JsonNode node) {
        Set<String> out = new TreeSet<>();
        if (node.isArray()) {
            node.forEach(n -> out.add(n.asText()));
        } else {
            node.properties().forEach(e -> out.add(e.getKey()));
        }
        return out;
    }

    @SuppressWarnings("unchecked") // the parsers' field lists are Set<String>
    private static Set<String> staticSet(Class<?> owner, String name) throws Exception {
        Field f = owner.getDeclaredField(name);
        f.setAccessible(true);
        return Set.copyOf((Set<String>) f.get(null));
    }

    /** One operation of the document and its parameters (the path's and its own). */
    record Operation(JsonNode node, List<JsonNode> parameters) {}

    /** "METHOD template" → the operation. */
    static Map<String, Operation> operations(JsonNode doc) {
        Map<String, Operation> out = new java.util.TreeMap<>();
        for (Map.Entry<String, JsonNode> path : doc.path("paths").properties()) {
            for (Map.Entry<String, JsonNode> op : path.getValue().properties()) {
                if (!METHODS.contains(op.getKey())) {
                    continue;
                }
                List<JsonNode> parameters = new java.util.ArrayList<>();
                path.getValue().path("parameters").forEach(parameters::add);
                op.getValue().path("parameters").forEach(parameters::add);
                out.put(
                        op.getKey().toUpperCase(java.util.Locale.ROOT) + " " + path.getKey(),
                        new Operation(op.getValue(), parameters));
            }
        }
        return out;
    }
}
