package dev.kiln.host.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.host.KilnHost;
import dev.kiln.host.config.KilnConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;

/** A real Kiln host on a free port and a small HTTP client for it. */
public final class TestHost implements AutoCloseable {
    public static final String TOKEN = "test-admin-token";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final KilnHost host;
    private final HttpClient client =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private TestHost(KilnHost host) {
        this.host = host;
    }

    public static TestHost start(Path dataDir) {
        return start(dataDir, b -> {});
    }

    public static TestHost start(Path dataDir, Consumer<KilnConfig.Builder> tweak) {
        var builder = KilnConfig.builder().port(0).dataDir(dataDir).adminToken(TOKEN);
        tweak.accept(builder);
        try {
            return new TestHost(KilnHost.start(builder.build()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public KilnHost host() {
        return host;
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + host.port() + path);
    }

    public HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30));
    }

    public HttpRequest.Builder admin(String path) {
        return request(path).header("Authorization", "Bearer " + TOKEN);
    }

    public HttpResponse<byte[]> send(HttpRequest request) {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Uploads a module with {@code PUT /api/v1/services/{s}/functions/{f}}. */
    public HttpResponse<byte[]> deploy(String service, String function, byte[] wasm) {
        return send(
                admin("/api/v1/services/" + service + "/functions/" + function)
                        .header("Content-Type", "application/wasm")
                        .PUT(HttpRequest.BodyPublishers.ofByteArray(wasm))
                        .build());
    }

    public HttpResponse<byte[]> invoke(String service, String function, byte[] event) {
        return send(
                admin("/api/v1/services/" + service + "/functions/" + function + "/invoke")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(event))
                        .build());
    }

    public HttpResponse<byte[]> invoke(String service, String function, String event) {
        return invoke(service, function, event.getBytes(StandardCharsets.UTF_8));
    }

    /** {@code POST …/invoke} with {@code X-Kiln-Invocation-Type: async}. */
    public HttpResponse<byte[]> invokeAsync(String service, String function, String event) {
        return send(
                admin("/api/v1/services/" + service + "/functions/" + function + "/invoke")
                        .header("X-Kiln-Invocation-Type", "async")
                        .POST(HttpRequest.BodyPublishers.ofString(event))
                        .build());
    }

    /** Sends {@code json} with {@code method} to {@code path} under the admin token. */
    public HttpResponse<byte[]> sendJson(String method, String path, String json) {
        return send(
                admin(path)
                        .header("Content-Type", "application/json")
                        .method(method, HttpRequest.BodyPublishers.ofString(json))
                        .build());
    }

    /** Polls {@code check} every 20 ms until it holds, failing after {@code timeout}. */
    public static void await(
            String what, Duration timeout, java.util.function.BooleanSupplier check) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!check.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    public HttpResponse<byte[]> patch(String service, String function, String json) {
        return send(
                admin("/api/v1/services/" + service + "/functions/" + function)
                        .header("Content-Type", "application/json")
                        .method("PATCH", HttpRequest.BodyPublishers.ofString(json))
                        .build());
    }

    /**
     * Creates an API key with {@code POST /api/v1/keys} (as admin) and returns its secret; {@code
     * services} null means every service.
     */
    public String createKey(String name, String role, java.util.List<String> services) {
        var body = JSON.createObjectNode().put("name", name).put("role", role);
        if (services != null) {
            services.forEach(body.putArray("services")::add);
        }
        var r = sendJson("POST", "/api/v1/keys", body.toString());
        if (r.statusCode() != 201) {
            throw new AssertionError("key not created: " + r.statusCode() + " " + text(r));
        }
        return json(r).path("key").asText();
    }

    /** A request to {@code path} with {@code Authorization: Bearer key}. */
    public HttpRequest.Builder as(String key, String path) {
        return request(path).header("Authorization", "Bearer " + key);
    }

    public HttpResponse<byte[]> get(String path) {
        return send(admin(path).GET().build());
    }

    public static String text(HttpResponse<byte[]> response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    public static JsonNode json(HttpResponse<byte[]> response) {
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + text(response), e);
        }
    }

    /** The {@code error.code} of an error response. */
    public static String errorCode(HttpResponse<byte[]> response) {
        return json(response).path("error").path("code").asText();
    }

    /** The kind of start an invocation answered ({@code X-Kiln-Start}), or {@code ?} for none. */
    public static String startKind(HttpResponse<byte[]> response) {
        return response.headers().firstValue("X-Kiln-Start").orElse("?");
    }

    @Override
    public void close() {
        host.close();
    }
}
