package dev.kiln.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A client of Kiln's HTTP API (JDK HttpClient and Jackson only; docs/adr/0042).
 *
 * <pre>{@code
 * KilnClient kiln = KilnClient.builder().endpoint("http://127.0.0.1:8080").token(token).build();
 * kiln.createFunction("demo", "hello", Path.of("hello.wasm"), Map.of("handler", "kiln_handle"));
 * Invocation result = kiln.invoke("demo", "hello", "{}".getBytes(UTF_8));
 * System.out.println(result.text() + " ran version " + result.executedVersion().getAsLong());
 * }</pre>
 *
 * <p>Calls answer the API's JSON as a {@link JsonNode} (its shapes: {@code GET
 * /api/v1/openapi.json}); failures throw {@link KilnException} with the API's stable code, message,
 * request id and HTTP status. Answers 429 and 503 (refused before anything ran) are retried up to
 * {@code maxRetries} times, waiting {@code Retry-After} when given, else backing off exponentially
 * with full jitter; a {@code Retry-After} beyond {@code maxRetryWait} is thrown at once. A failed
 * connection is retried for GET, PUT and DELETE only. Thread-safe.
 */
public final class KilnClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<Integer> RETRY_STATUSES = Set.of(429, 503);
    private static final Set<String> IDEMPOTENT = Set.of("GET", "HEAD", "PUT", "DELETE");
    private static final String VERSION = "0.1.0";
    private static final int PROGRESS_CHUNK = 256 * 1024;

    private final String endpoint;
    private final String token;
    private final Duration timeout;
    private final int maxRetries;
    private final Duration maxRetryWait;
    private final Duration backoff;
    private final UploadProgress uploadProgress;
    private final HttpClient http;

    private KilnClient(Builder b) {
        this.endpoint = b.endpoint.replaceAll("/+$", "");
        this.token = b.token;
        this.timeout = b.timeout;
        this.maxRetries = b.maxRetries;
        this.maxRetryWait = b.maxRetryWait;
        this.backoff = b.backoff;
        this.uploadProgress = b.uploadProgress;
        this.http = HttpClient.newBuilder().connectTimeout(b.timeout).build();
    }

    /** A builder starting from {@code KILN_ENDPOINT} and {@code KILN_TOKEN} when they are set. */
    public static Builder builder() {
        return new Builder();
    }

    /** The client of {@code KILN_ENDPOINT} (else http://127.0.0.1:8080) with {@code KILN_TOKEN}. */
    public static KilnClient fromEnvironment() {
        return builder().build();
    }

    /** The endpoint, without a trailing slash. */
    public String endpoint() {
        return endpoint;
    }

    // ---------------------------------------------------------------- functions

    /**
     * Uploads a module or zip (a {@code kiln.json} and the module): creates the function or a new
     * version of it. {@code settings} (Kiln's names: handler, timeoutMs, memoryMiB, env, ...) go
     * into the upload's kiln.json, so one call makes one version.
     */
    public JsonNode createFunction(
            String service, String function, byte[] code, Map<String, ?> settings) {
        Upload upload = Upload.of(code, settings);
        return json(request("PUT", fn(service, function), null, upload.body(), upload.type()));
    }

    /** {@link #createFunction(String, String, byte[], Map)} with the code read from a file. */
    public JsonNode createFunction(
            String service, String function, Path code, Map<String, ?> settings) {
        try {
            return createFunction(service, function, Files.readAllBytes(code), settings);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + code, e);
        }
    }

    /** PATCH settings ({@code secrets}: name to value, null deletes one). */
    public JsonNode updateFunctionSettings(
            String service, String function, Map<String, ?> settings) {
        return sendJson("PATCH", fn(service, function), settings);
    }

    public JsonNode getFunction(String service, String function) {
        return get(fn(service, function));
    }

    public void deleteFunction(String service, String function) {
        request("DELETE", fn(service, function), null, null, null);
    }

    public JsonNode listFunctions(String service) {
        return get("/api/v1/services/" + seg(service) + "/functions").path("functions");
    }

    public JsonNode listServices() {
        return get("/api/v1/services").path("services");
    }

    // ---------------------------------------------------------------- versions and aliases

    public JsonNode listVersions(String service, String function) {
        return get(fn(service, function, "versions")).path("versions");
    }

    public JsonNode getVersion(String service, String function, int version) {
        return get(fn(service, function, "versions", Integer.toString(version)));
    }

    /** The bytes as uploaded. */
    public byte[] getVersionCode(String service, String function, int version) {
        return request(
                        "GET",
                        fn(service, function, "versions", Integer.toString(version), "code"),
                        null,
                        null,
                        null)
                .body();
    }

    public void deleteVersion(String service, String function, int version) {
        request(
                "DELETE",
                fn(service, function, "versions", Integer.toString(version)),
                null,
                null,
                null);
    }

    /**
     * Points an alias at a version; {@code additionalVersion} (0 for none) gets {@code weight} of
     * the invocations (Function Compute's {@code additionalVersionWeight}).
     */
    public JsonNode putAlias(
            String service,
            String function,
            String alias,
            int version,
            int additionalVersion,
            double weight) {
        ObjectNode body = JSON.createObjectNode().put("version", version);
        if (additionalVersion > 0) {
            body.putObject("additionalVersionWeight")
                    .put(Integer.toString(additionalVersion), weight);
        }
        return sendJson("PUT", fn(service, function, "aliases", alias), body);
    }

    public JsonNode getAlias(String service, String function, String alias) {
        return get(fn(service, function, "aliases", alias));
    }

    public JsonNode listAliases(String service, String function) {
        return get(fn(service, function, "aliases")).path("aliases");
    }

    public void deleteAlias(String service, String function, String alias) {
        request("DELETE", fn(service, function, "aliases", alias), null, null, null);
    }

    // ---------------------------------------------------------------- invoke

    /** Invokes LATEST synchronously. A failed invocation throws (guest_trap, timeout...). */
    public Invocation invoke(String service, String function, byte[] payload) {
        return invoke(service, function, payload, null);
    }

    /** Invokes synchronously; {@code qualifier}: LATEST (null), a version number or an alias. */
    public Invocation invoke(String service, String function, byte[] payload, String qualifier) {
        HttpResponse<byte[]> r =
                request(
                        "POST",
                        fn(service, function, "invoke") + query("qualifier", qualifier),
                        Map.of(),
                        payload,
                        "application/octet-stream");
        return new Invocation(r.statusCode(), r.body(), r.headers());
    }

    /** Queues an invocation; returns its request id once it is durably stored. */
    public String invokeAsync(String service, String function, byte[] payload, String qualifier) {
        HttpResponse<byte[]> r =
                request(
                        "POST",
                        fn(service, function, "invoke") + query("qualifier", qualifier),
                        Map.of("X-Kiln-Invocation-Type", "async"),
                        payload,
                        "application/octet-stream");
        return parse(r.body()).path("requestId").asText();
    }

    // ---------------------------------------------------------------- records and logs

    public JsonNode listInvocations(String service, String function, int limit) {
        return get(fn(service, function, "invocations") + query("limit", limit))
                .path("invocations");
    }

    public JsonNode getInvocation(String service, String function, String requestId) {
        return get(fn(service, function, "invocations", requestId));
    }

    public JsonNode getLogs(String service, String function, int limit) {
        return get(fn(service, function, "logs") + query("limit", limit)).path("logs");
    }

    /**
     * Follows a function's log lines as they are written: {@code GET …/logs?follow=true}, a {@code
     * text/event-stream} whose events carry one log line each (the objects {@link #getLogs} lists).
     * Read it with {@link LogStream#next()}; {@link LogStream#close()} (from any thread) ends it.
     *
     * @throws KilnException with the API's code when the host refuses (a host without the stream
     *     answers {@code bad_request}, or a 200 that is not an event stream: {@code bad_answer})
     */
    public LogStream followLogs(String service, String function) {
        var builder =
                HttpRequest.newBuilder(
                                URI.create(
                                        endpoint
                                                + fn(service, function, "logs")
                                                + query("follow", "true")))
                        .header("User-Agent", "kiln-client-java/" + VERSION)
                        .header("Accept", "text/event-stream")
                        .GET();
        if (token != null) {
            builder.header("Authorization", "Bearer " + token);
        }
        HttpResponse<java.io.InputStream> r;
        try {
            r = http.send(builder.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw new KilnException(
                    "connection_failed", "cannot reach " + endpoint + ": " + e, null, 0, -1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KilnException("interrupted", "interrupted", null, 0, -1);
        }
        if (r.statusCode() >= 400) {
            byte[] body;
            try (var in = r.body()) {
                body = in.readNBytes(64 * 1024);
            } catch (IOException e) {
                body = new byte[0];
            }
            throw ErrorAnswers.from(r.statusCode(), body, r.headers());
        }
        String type = r.headers().firstValue("content-type").orElse("");
        if (!type.startsWith("text/event-stream")) {
            try {
                r.body().close();
            } catch (IOException e) {
                // closing what we will not read
            }
            throw new KilnException(
                    "bad_answer", "the logs answer is not an event stream: " + type, null, 0, -1);
        }
        return new LogStream(r.body());
    }

    // ---------------------------------------------------------------- async and triggers

    public JsonNode getAsyncConfig(String service, String function) {
        return get(fn(service, function, "async-config"));
    }

    /** Replaces retries and destinations (absent fields take the defaults). */
    public JsonNode putAsyncConfig(String service, String function, Map<String, ?> config) {
        return sendJson("PUT", fn(service, function, "async-config"), config);
    }

    public JsonNode deleteAsyncConfig(String service, String function) {
        return json(request("DELETE", fn(service, function, "async-config"), null, null, null));
    }

    public JsonNode getQueue(String service, String function) {
        return get(fn(service, function, "queue"));
    }

    public JsonNode listDeadLetters(String service, String function) {
        return get(fn(service, function, "dead-letters")).path("deadLetters");
    }

    public JsonNode getDeadLetter(String service, String function, String requestId) {
        return get(fn(service, function, "dead-letters", requestId));
    }

    public void deleteDeadLetter(String service, String function, String requestId) {
        request("DELETE", fn(service, function, "dead-letters", requestId), null, null, null);
    }

    /** Queues one dead letter (or all, when {@code requestId} is null) again; how many. */
    public int redriveDeadLetters(String service, String function, String requestId) {
        String path =
                requestId == null
                        ? fn(service, function, "dead-letters", "redrive")
                        : fn(service, function, "dead-letters", requestId, "redrive");
        return json(request("POST", path, null, null, null)).path("redriven").asInt();
    }

    /** Creates a topic subscription or a cron timer (the API's trigger JSON). */
    public JsonNode createTrigger(String service, String function, Map<String, ?> trigger) {
        return sendJson("POST", fn(service, function, "triggers"), trigger);
    }

    public JsonNode listTriggers(String service, String function) {
        return get(fn(service, function, "triggers")).path("triggers");
    }

    public JsonNode updateTrigger(
            String service, String function, String trigger, Map<String, ?> changes) {
        return sendJson("PATCH", fn(service, function, "triggers", trigger), changes);
    }

    public void deleteTrigger(String service, String function, String trigger) {
        request("DELETE", fn(service, function, "triggers", trigger), null, null, null);
    }

    /** Publishes an event to a topic: one delivery per matching subscription. */
    public JsonNode publish(String topic, byte[] payload) {
        return json(
                request(
                        "POST",
                        "/api/v1/topics/" + seg(topic) + "/events",
                        null,
                        payload,
                        "application/octet-stream"));
    }

    // ---------------------------------------------------------------- keys and host

    /** Creates an API key; the answer's {@code key} is shown this once. */
    public JsonNode createKey(String name, String role, List<String> services) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", name);
        body.put("role", role);
        if (services != null) {
            body.put("services", services);
        }
        return sendJson("POST", "/api/v1/keys", body);
    }

    public JsonNode listKeys() {
        return get("/api/v1/keys").path("keys");
    }

    public void deleteKey(String id) {
        request("DELETE", "/api/v1/keys/" + seg(id), null, null, null);
    }

    public JsonNode getLimits() {
        return get("/api/v1/limits");
    }

    /** The OpenAPI 3.1 description of the API. */
    public JsonNode openapi() {
        return get("/api/v1/openapi.json");
    }

    // ---------------------------------------------------------------- HTTP

    private JsonNode get(String path) {
        return json(request("GET", path, null, null, null));
    }

    private JsonNode sendJson(String method, String path, Object body) {
        try {
            return json(
                    request(method, path, null, JSON.writeValueAsBytes(body), "application/json"));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("the body is not serialisable as JSON", e);
        }
    }

    private static JsonNode json(HttpResponse<byte[]> r) {
        return r.body().length == 0 ? JSON.nullNode() : parse(r.body());
    }

    private static JsonNode parse(byte[] body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new KilnException("bad_answer", "the answer is not JSON", null, 0, -1);
        }
    }

    /** One request, retrying 429/503 and failed connections of idempotent methods. */
    private HttpResponse<byte[]> request(
            String method, String path, Map<String, String> headers, byte[] body, String type) {
        var builder =
                HttpRequest.newBuilder(URI.create(endpoint + path))
                        .timeout(timeout)
                        .header("User-Agent", "kiln-client-java/" + VERSION)
                        .method(method, publisher(body));
        if (token != null) {
            builder.header("Authorization", "Bearer " + token);
        }
        if (type != null) {
            builder.header("Content-Type", type);
        }
        if (headers != null) {
            headers.forEach(builder::header);
        }
        HttpRequest request = builder.build();
        for (int retries = 0; ; retries++) {
            KilnException failure;
            try {
                HttpResponse<byte[]> r =
                        http.send(request, HttpResponse.BodyHandlers.ofByteArray());
                if (r.statusCode() < 400) {
                    return r;
                }
                failure = error(r);
            } catch (IOException e) {
                failure =
                        new KilnException(
                                "connection_failed",
                                "cannot reach " + endpoint + ": " + e,
                                null,
                                0,
                                -1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new KilnException("interrupted", "interrupted", null, 0, -1);
            }
            long waitMs = retryWaitMs(failure, method, retries);
            if (waitMs < 0) {
                throw failure;
            }
            try {
                Thread.sleep(waitMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw failure;
            }
        }
    }

    private HttpRequest.BodyPublisher publisher(byte[] body) {
        return ChunkedUpload.publisher(body, uploadProgress, PROGRESS_CHUNK);
    }

    /** Milliseconds to wait before the next try, or -1 to give up. */
    private long retryWaitMs(KilnException failure, String method, int retries) {
        if (retries >= maxRetries) {
            return -1;
        }
        if (RETRY_STATUSES.contains(failure.status())) {
            if (failure.retryAfterSeconds().isPresent()) {
                long ms = failure.retryAfterSeconds().getAsLong() * 1000;
                return ms <= maxRetryWait.toMillis() ? ms : -1;
            }
        } else if (!(failure.status() == 0 && IDEMPOTENT.contains(method))) {
            return -1;
        }
        // Exponential backoff with full jitter (what AWS's SDKs do).
        long cap = Math.min(maxRetryWait.toMillis(), backoff.toMillis() << Math.min(retries, 20));
        return ThreadLocalRandom.current().nextLong(cap + 1);
    }

    private static KilnException error(HttpResponse<byte[]> r) {
        return ErrorAnswers.from(r.statusCode(), r.body(), r.headers());
    }

    private static String fn(String service, String function, String... rest) {
        List<String> parts = new ArrayList<>();
        parts.add("/api/v1/services/" + seg(service) + "/functions/" + seg(function));
        for (String p : rest) {
            parts.add("/" + seg(p));
        }
        return String.join("", parts);
    }

    private static String query(String name, Object value) {
        return value == null ? "" : "?" + name + "=" + seg(String.valueOf(value));
    }

    private static String seg(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** Settings of a client. */
    public static final class Builder {
        private String endpoint = orElse(System.getenv("KILN_ENDPOINT"), "http://127.0.0.1:8080");
        private String token = System.getenv("KILN_TOKEN");
        private Duration timeout = Duration.ofSeconds(60);
        private int maxRetries = 3;
        private Duration maxRetryWait = Duration.ofSeconds(20);
        private Duration backoff = Duration.ofMillis(200);
        private UploadProgress uploadProgress;

        private Builder() {}

        /** Told as a large request body (an upload beyond 256 KiB) is sent; none by default. */
        public Builder uploadProgress(UploadProgress uploadProgress) {
            this.uploadProgress = uploadProgress;
            return this;
        }

        public Builder endpoint(String endpoint) {
            this.endpoint = endpoint;
            return this;
        }

        /** The admin token or an API key. */
        public Builder token(String token) {
            this.token = token;
            return this;
        }

        /** Per HTTP request (default 60 s). */
        public Builder timeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        /** Retries of 429/503 (and failed connections of GET/PUT/DELETE); default 3, 0 = none. */
        public Builder maxRetries(int maxRetries) {
            this.maxRetries = maxRetries;
            return this;
        }

        /** The longest single wait (default 20 s); a longer Retry-After is thrown at once. */
        public Builder maxRetryWait(Duration maxRetryWait) {
            this.maxRetryWait = maxRetryWait;
            return this;
        }

        /** The first wait without Retry-After, doubled per retry, with full jitter (200 ms). */
        public Builder backoff(Duration backoff) {
            this.backoff = backoff;
            return this;
        }

        public KilnClient build() {
            if (maxRetries < 0) {
                throw new IllegalArgumentException("maxRetries must be 0 or more");
            }
            return new KilnClient(this);
        }

        private static String orElse(String value, String dflt) {
            return value == null || value.isBlank() ? dflt : value;
        }
    }
}
