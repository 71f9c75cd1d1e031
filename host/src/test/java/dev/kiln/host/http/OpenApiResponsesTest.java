package dev.kiln.host.http;

import static dev.kiln.host.testing.TestHost.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.dialect.Dialects;
import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sends a request to every operation {@code openapi.json} describes, on a real host, and validates
 * each request body and each answer (status, content type, JSON body) against the document with a
 * JSON Schema 2020-12 validator in the OpenAPI 3.1 dialect. The schemas refuse unknown fields and
 * require the ones always present, so a field added to or dropped from an answer fails here until
 * the document says so (docs/adr/0042). Every integer query parameter is also sent malformed, to
 * see the route reads it.
 */
class OpenApiResponsesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BASE = "https://kiln.invalid/openapi.json";
    private static final String FN = "/api/v1/services/{service}/functions/{function}";
    private static final byte[] ECHO = Wat.fixture("echo");
    private static final byte[] TRAP = Wat.fixture("trap");

    @TempDir Path data;

    @Test
    void everyOperationAnswersAsDocumented() throws Exception {
        try (TestHost kiln = TestHost.start(data)) {
            var api = new CheckedApi(kiln);
            Map<String, String> echo = Map.of("service", "oas", "function", "echo");
            Map<String, String> trap = Map.of("service", "oas", "function", "trap");

            // host
            api.call("GET", "/healthz", Map.of(), "", null, null, 200);
            api.call("GET", ApiDescription.PATH, Map.of(), "", null, null, 200);
            api.call("GET", "/api/v1/limits", Map.of(), "", null, null, 200);
            api.call("GET", "/metrics", Map.of(), "", null, null, 200);
            api.call("GET", "/api/v1/cluster", Map.of(), "", null, null, 200);

            // functions and versions
            api.call("PUT", FN, echo, "", "application/wasm", ECHO, 201);
            String manifest = "{\"module\":\"f.wasm\",\"timeoutMs\":5000,\"env\":{\"A\":\"1\"}}";
            api.call("PUT", FN, echo, "", "application/zip", zip(manifest, ECHO), 200);
            api.json(
                    "PATCH",
                    FN,
                    echo,
                    "{\"description\":\"echoes\",\"secrets\":{\"S\":\"v\"},\"maxConcurrency\":4}",
                    200);
            api.call("GET", FN, echo, "", null, null, 200);
            api.call("GET", "/api/v1/services", Map.of(), "", null, null, 200);
            api.call("GET", "/api/v1/services/{service}/functions", echo, "", null, null, 200);
            api.call("GET", FN + "/versions", echo, "", null, null, 200);
            Map<String, String> v1 = with(echo, "version", "1");
            api.call("GET", FN + "/versions/{version}", v1, "", null, null, 200);
            api.call("GET", FN + "/versions/{version}/code", v1, "", null, null, 200);
            Map<String, String> prod = with(echo, "alias", "prod");
            api.json(
                    "PUT",
                    FN + "/aliases/{alias}",
                    prod,
                    "{\"version\":1,\"additionalVersionWeight\":{\"2\":0.5},\"description\":\"p\"}",
                    201);
            api.call("GET", FN + "/aliases/{alias}", prod, "", null, null, 200);
            api.call("GET", FN + "/aliases", echo, "", null, null, 200);

            // invoke and records
            var ran =
                    api.call(
                            "POST",
                            FN + "/invoke",
                            echo,
                            "?qualifier=prod",
                            null,
                            bytes("hi"),
                            200);
            assertThat(new String(ran.body(), StandardCharsets.UTF_8)).isEqualTo("hi");
            String requestId = ran.headers().firstValue("X-Kiln-Request-Id").orElseThrow();
            var queued =
                    api.send(
                            "POST",
                            FN + "/invoke",
                            echo,
                            "",
                            b -> b.header("X-Kiln-Invocation-Type", "async"),
                            null,
                            bytes("later"),
                            202);
            assertThat(json(queued).path("status").asText()).isEqualTo("queued");
            // Records are written off the request path: on a busy machine the one just made may
            // not be stored yet.
            kiln.host().flushRecords();
            api.call("GET", FN + "/invocations", echo, "?limit=10", null, null, 200);
            api.call(
                    "GET",
                    FN + "/invocations/{requestId}",
                    with(echo, "requestId", requestId),
                    "",
                    null,
                    null,
                    200);
            api.call("GET", FN + "/logs", echo, "?limit=5", null, null, 200);
            // statistics and usage (docs/adr/0043)
            kiln.host().flushRecords();
            api.call("GET", FN + "/stats", echo, "?step=5m", null, null, 200);
            api.call("GET", "/api/v1/usage", Map.of(), "?groupBy=function", null, null, 200);
            api.call(
                    "GET",
                    "/api/v1/usage",
                    Map.of(),
                    "?groupBy=key&granularity=day",
                    null,
                    null,
                    200);

            // async settings, queue, dead letters (a trapping function with one attempt)
            api.call("PUT", FN, trap, "", "application/wasm", TRAP, 201);
            api.json("PUT", FN + "/async-config", trap, "{\"maxAttempts\":1}", 200);
            api.call("GET", FN + "/async-config", trap, "", null, null, 200);
            var trapped = api.call("POST", FN + "/invoke", trap, "", null, bytes("boom"), 500);

            // replay of the failure, recorded by default (docs/adr/0041)
            kiln.host().flushRecordings();
            Map<String, String> recorded =
                    with(
                            trap,
                            "requestId",
                            trapped.headers().firstValue("X-Kiln-Request-Id").orElseThrow());
            api.call("POST", FN + "/invocations/{requestId}/replay", recorded, "", null, null, 200);
            api.call(
                    "GET",
                    FN + "/invocations/{requestId}/recording",
                    recorded,
                    "",
                    null,
                    null,
                    200);
            var dead =
                    api.send(
                            "POST",
                            FN + "/invoke",
                            trap,
                            "",
                            b -> b.header("X-Kiln-Invocation-Type", "async"),
                            null,
                            bytes("boom"),
                            202);
            String deadId = json(dead).path("requestId").asText();
            Map<String, String> deadLetter = with(trap, "requestId", deadId);
            awaitDeadLetter(kiln, deadId);
            api.call("GET", FN + "/dead-letters", trap, "?limit=10", null, null, 200);
            api.call("GET", FN + "/dead-letters/{requestId}", deadLetter, "", null, null, 200);
            api.call(
                    "POST",
                    FN + "/dead-letters/{requestId}/redrive",
                    deadLetter,
                    "",
                    null,
                    null,
                    200);
            awaitDeadLetter(kiln, deadId);
            api.call("POST", FN + "/dead-letters/redrive", trap, "", null, null, 200);
            awaitDeadLetter(kiln, deadId);
            api.call("DELETE", FN + "/dead-letters/{requestId}", deadLetter, "", null, null, 204);
            api.call("GET", FN + "/events", trap, "?limit=5", null, null, 200);
            api.call("GET", FN + "/events/{requestId}", deadLetter, "", null, null, 404);
            api.call("GET", FN + "/queue", trap, "", null, null, 200);
            api.call("GET", "/api/v1/queues", Map.of(), "", null, null, 200);
            api.call("DELETE", FN + "/async-config", trap, "", null, null, 200);

            // triggers and topics
            Map<String, String> sub = with(echo, "trigger", "sub");
            api.json(
                    "POST",
                    FN + "/triggers",
                    echo,
                    "{\"id\":\"sub\",\"type\":\"topic\",\"topic\":\"orders\"}",
                    201);
            api.json(
                    "POST",
                    FN + "/triggers",
                    echo,
                    "{\"id\":\"tick\",\"type\":\"timer\",\"cron\":\"0 9 * * 1-5\","
                            + "\"timezone\":\"Europe/Berlin\",\"payload\":{\"n\":1}}",
                    201);
            api.call("GET", FN + "/triggers", echo, "", null, null, 200);
            api.call("GET", FN + "/triggers/{trigger}", sub, "", null, null, 200);
            api.call("GET", "/api/v1/topics", Map.of(), "", null, null, 200);
            var published =
                    api.call(
                            "POST",
                            "/api/v1/topics/{topic}/events",
                            Map.of("topic", "orders"),
                            "",
                            "application/json",
                            bytes("{\"id\":1}"),
                            202);
            assertThat(json(published).path("deliveries")).hasSize(1);
            api.json("PATCH", FN + "/triggers/{trigger}", sub, "{\"enabled\":false}", 200);
            api.call("DELETE", FN + "/triggers/{trigger}", sub, "", null, null, 204);

            // keys and audit
            var key =
                    api.json(
                            "POST",
                            "/api/v1/keys",
                            Map.of(),
                            "{\"name\":\"ci\",\"role\":\"viewer\",\"services\":[\"oas\"]}",
                            201);
            api.call("GET", "/api/v1/keys", Map.of(), "", null, null, 200);
            api.call(
                    "DELETE",
                    "/api/v1/keys/{id}",
                    Map.of("id", json(key).path("id").asText()),
                    "",
                    null,
                    null,
                    204);
            api.call("GET", "/api/v1/audit", Map.of(), "?limit=5", null, null, 200);

            // routes, quotas, key-value store
            Map<String, String> route = Map.of("id", "r1");
            api.json(
                    "PUT",
                    "/api/v1/routes/{id}",
                    route,
                    "{\"host\":\"shop.example.com\",\"pathPrefix\":\"/\",\"service\":\"oas\",\"function\":\"echo\"}",
                    201);
            api.call("GET", "/api/v1/routes", Map.of(), "", null, null, 200);
            api.call("GET", "/api/v1/routes/{id}", route, "", null, null, 200);
            api.call("DELETE", "/api/v1/routes/{id}", route, "", null, null, 204);
            String quota = "/api/v1/services/{service}/quota";
            api.json("PUT", quota, echo, "{\"maxFunctions\":10,\"maxConcurrency\":null}", 200);
            api.call("GET", quota, echo, "", null, null, 200);
            api.call("DELETE", quota, echo, "", null, null, 204);
            Map<String, String> k1 = with(echo, "key", "k1");
            String kv = "/api/v1/services/{service}/kv";
            api.call("PUT", kv + "/{key}", k1, "?ttlMs=60000", null, bytes("v"), 204);
            api.call("GET", kv, echo, "?limit=10&prefix=k", null, null, 200);
            api.call("GET", kv + "/{key}", k1, "", null, null, 200);
            api.call("DELETE", kv + "/{key}", k1, "", null, null, 204);

            // every integer query parameter is read: a malformed one is refused by name
            Map<String, String> anything = new HashMap<>(echo);
            anything.putAll(Map.of("requestId", requestId, "key", "k1"));
            api.malformedIntegerQueryParameters(anything);

            // deletions last
            api.call("DELETE", FN + "/aliases/{alias}", prod, "", null, null, 204);
            api.call("DELETE", FN + "/versions/{version}", v1, "", null, null, 204);
            api.call("DELETE", FN, trap, "", null, null, 204);
            api.call("DELETE", FN, echo, "", null, null, 204);
            api.call("GET", FN, echo, "", null, null, 404);

            assertThat(api.hit)
                    .as("operations of openapi.json this test did not exercise")
                    .containsAll(ApiDescription.operations());
        }
    }

    private static void awaitDeadLetter(TestHost kiln, String requestId) {
        TestHost.await(
                "dead letter " + requestId,
                Duration.ofSeconds(30),
                () ->
                        kiln.get("/api/v1/services/oas/functions/trap/dead-letters/" + requestId)
                                        .statusCode()
                                == 200);
    }

    private static Map<String, String> with(Map<String, String> vars, String name, String value) {
        Map<String, String> out = new HashMap<>(vars);
        out.put(name, value);
        return out;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] zip(String manifest, byte[] module) throws IOException {
        var out = new ByteArrayOutputStream();
        try (var zip = new ZipOutputStream(out)) {
            zip.putNextEntry(new ZipEntry("kiln.json"));
            zip.write(bytes(manifest));
            zip.putNextEntry(new ZipEntry("f.wasm"));
            zip.write(module);
        }
        return out.toByteArray();
    }

    /** Sends requests as the admin and checks each exchange against the served document. */
    static final class CheckedApi {
        final Set<String> hit = new TreeSet<>();
        private final TestHost kiln;
        private final JsonNode doc;
        private final SchemaRegistry schemas;
        private final Map<String, OpenApiDocumentTest.Operation> operations;

        CheckedApi(TestHost kiln) throws IOException {
            this.kiln = kiln;
            byte[] served = kiln.get(ApiDescription.PATH).body();
            this.doc = JSON.readTree(served);
            String text = new String(served, StandardCharsets.UTF_8);
            this.schemas =
                    SchemaRegistry.withDefaultDialect(
                            Dialects.getOpenApi31(), b -> b.schemas(Map.of(BASE, text)));
            this.operations = OpenApiDocumentTest.operations(doc);
        }

        HttpResponse<byte[]> json(
                String method, String template, Map<String, String> vars, String body, int status) {
            return call(method, template, vars, "", "application/json", bytes(body), status);
        }

        HttpResponse<byte[]> call(
                String method,
                String template,
                Map<String, String> vars,
                String query,
                String type,
                byte[] body,
                int status) {
            return send(method, template, vars, query, b -> {}, type, body, status);
        }

        HttpResponse<byte[]> send(
                String method,
                String template,
                Map<String, String> vars,
                String query,
                java.util.function.Consumer<HttpRequest.Builder> headers,
                String type,
                byte[] body,
                int status) {
            String key = method + " " + template;
            var op = operations.get(key);
            assertThat(op).as(key + " is in openapi.json").isNotNull();
            String path = template;
            for (var v : vars.entrySet()) {
                path = path.replace("{" + v.getKey() + "}", v.getValue());
            }
            assertThat(path).as(key + ": every path parameter given").doesNotContain("{");
            var builder =
                    kiln.admin(path + query)
                            .method(
                                    method,
                                    body == null
                                            ? HttpRequest.BodyPublishers.noBody()
                                            : HttpRequest.BodyPublishers.ofByteArray(body));
            if (type != null) {
                builder.header("Content-Type", type);
                if (type.equals("application/json")) {
                    JsonNode schema =
                            op.node()
                                    .path("requestBody")
                                    .path("content")
                                    .path("application/json")
                                    .path("schema");
                    assertThat(schema.isMissingNode())
                            .as(key + " documents a JSON request body")
                            .isFalse();
                    validate(key + " request", schema, body);
                }
            }
            headers.accept(builder);
            HttpResponse<byte[]> r = kiln.send(builder.build());
            assertThat(r.statusCode())
                    .as(key + " answered " + new String(r.body(), StandardCharsets.UTF_8))
                    .isEqualTo(status);
            check(key, op.node(), r);
            hit.add(key);
            return r;
        }

        /** The answer's status, content type and body against the operation's responses. */
        private void check(String key, JsonNode op, HttpResponse<byte[]> r) {
            JsonNode responses = op.path("responses");
            String status = Integer.toString(r.statusCode());
            JsonNode response = responses.path(status);
            if (response.isMissingNode()) {
                if (r.statusCode() < 400) {
                    fail(key + " answered " + status + ", which openapi.json does not document");
                }
                response = responses.path("default");
                assertThat(response.isMissingNode()).as(key + " documents errors").isFalse();
            }
            response = resolveResponse(response);
            JsonNode content = response.path("content");
            if (content.isMissingNode() || content.isEmpty()) {
                assertThat(r.body()).as(key + " " + status + " has no body").isEmpty();
                return;
            }
            String header = r.headers().firstValue("content-type").orElse("");
            int semicolon = header.indexOf(';');
            String type =
                    (semicolon < 0 ? header : header.substring(0, semicolon))
                            .trim()
                            .toLowerCase(Locale.ROOT);
            assertThat(content.has(type))
                    .as(key + " " + status + " content type " + type + " is documented")
                    .isTrue();
            if (type.equals("application/json")) {
                validate(key + " " + status, content.path(type).path("schema"), r.body());
            }
        }

        private JsonNode resolveResponse(JsonNode response) {
            String ref = response.path("$ref").asText("");
            String prefix = "#/components/responses/";
            return ref.startsWith(prefix)
                    ? doc.path("components").path("responses").path(ref.substring(prefix.length()))
                    : response;
        }

        private void validate(String what, JsonNode schema, byte[] body) {
            String ref = schema.path("$ref").asText("");
            Schema s =
                    schema.size() == 1 && ref.startsWith("#/components/schemas/")
                            ? schemas.getSchema(SchemaLocation.of(BASE + ref))
                            : schemas.getSchema(schema);
            JsonNode instance;
            try {
                instance = JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError(what + ": body is not JSON", e);
            }
            List<com.networknt.schema.Error> errors = s.validate(instance);
            assertThat(errors)
                    .as(
                            what
                                    + " against openapi.json (host/src/main/resources/dev/kiln/"
                                    + "host/http/openapi.json) for "
                                    + instance)
                    .isEmpty();
        }

        /**
         * Sends each integer query parameter of each operation as "x": 400 bad_request naming it.
         */
        void malformedIntegerQueryParameters(Map<String, String> vars) {
            JsonNode components = doc.path("components").path("parameters");
            operations.forEach(
                    (key, op) -> {
                        for (JsonNode p : op.parameters()) {
                            JsonNode param = ApiDescription.resolve(p, components);
                            if (!param.path("in").asText().equals("query")
                                    || !param.path("schema")
                                            .path("type")
                                            .asText()
                                            .equals("integer")) {
                                continue;
                            }
                            String name = param.path("name").asText();
                            String method = key.substring(0, key.indexOf(' '));
                            String template = key.substring(key.indexOf(' ') + 1);
                            boolean body = method.equals("PUT") || method.equals("POST");
                            var r =
                                    call(
                                            method,
                                            template,
                                            vars,
                                            "?" + name + "=x",
                                            body ? "application/octet-stream" : null,
                                            body ? bytes("v") : null,
                                            400);
                            assertThat(TestHost.errorCode(r)).isEqualTo("bad_request");
                            assertThat(TestHost.text(r)).as(key).contains(name);
                        }
                    });
        }
    }
}
