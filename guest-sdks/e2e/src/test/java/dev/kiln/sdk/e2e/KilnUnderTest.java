package dev.kiln.sdk.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.host.KilnHost;
import dev.kiln.host.config.KilnConfig;
import dev.kiln.host.deploy.UploadLimits;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** A real Kiln host on a free port, and the few calls the SDK tests make to it. */
final class KilnUnderTest implements AutoCloseable {
    static final String TOKEN = "sdk-e2e-token";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final KilnConfig config;
    private KilnHost host;
    private final HttpClient client =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private KilnUnderTest(KilnConfig config) throws IOException {
        this.config = config;
        this.host = KilnHost.start(config);
    }

    /**
     * Starts a host whose data lives in target/kiln-data/{@code name} (emptied first, kept
     * afterwards for a look at the records when a test fails).
     */
    static KilnUnderTest start(String name) {
        return start(name, UploadLimits.DEFAULTS);
    }

    /** {@link #start(String)} with other upload limits (e.g. a longer upload deadline). */
    static KilnUnderTest start(String name, UploadLimits uploadLimits) {
        Path dataDir = Path.of("target", "kiln-data", name).toAbsolutePath();
        try {
            if (Files.exists(dataDir)) {
                try (Stream<Path> files = Files.walk(dataDir)) {
                    for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                        Files.delete(f);
                    }
                }
            }
            return new KilnUnderTest(
                    KilnConfig.builder()
                            .port(0)
                            .dataDir(dataDir)
                            .adminToken(TOKEN)
                            .uploadLimits(uploadLimits)
                            .build());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Stops the host and starts a new one on the same data directory (and a new free port), as an
     * operator's restart would: what the host stored must still be there.
     */
    void restart() {
        host.close();
        try {
            host = KilnHost.start(config);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + host.port() + path))
                .timeout(Duration.ofSeconds(60));
    }

    HttpRequest.Builder admin(String path) {
        return request(path).header("Authorization", "Bearer " + TOKEN);
    }

    HttpResponse<byte[]> send(HttpRequest request) {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static String functionPath(String service, String function) {
        return "/api/v1/services/" + service + "/functions/" + function;
    }

    HttpResponse<byte[]> deploy(String service, String function, byte[] wasm) {
        return send(
                admin(functionPath(service, function))
                        .header("Content-Type", "application/wasm")
                        .PUT(HttpRequest.BodyPublishers.ofByteArray(wasm))
                        .build());
    }

    /** A PATCH the client waits {@code timeout} for (one of memoryMiB runs kiln_init again). */
    HttpResponse<byte[]> patch(String service, String function, String json, Duration timeout) {
        return send(
                admin(functionPath(service, function))
                        .timeout(timeout)
                        .header("Content-Type", "application/json")
                        .method("PATCH", HttpRequest.BodyPublishers.ofString(json))
                        .build());
    }

    /** Uploads a zip with a kiln.json (e.g. one choosing the wasi-cgi ABI). */
    HttpResponse<byte[]> deployZip(String service, String function, byte[] zip) {
        return send(
                admin(functionPath(service, function))
                        .header("Content-Type", "application/zip")
                        .PUT(HttpRequest.BodyPublishers.ofByteArray(zip))
                        .build());
    }

    HttpResponse<byte[]> invoke(String service, String function, byte[] event) {
        return send(
                admin(functionPath(service, function) + "/invoke")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(event))
                        .build());
    }

    HttpResponse<byte[]> invoke(String service, String function, String event) {
        return invoke(service, function, event.getBytes(StandardCharsets.UTF_8));
    }

    HttpResponse<byte[]> patch(String service, String function, String json) {
        return send(
                admin(functionPath(service, function))
                        .header("Content-Type", "application/json")
                        .method("PATCH", HttpRequest.BodyPublishers.ofString(json))
                        .build());
    }

    /** Any method on the HTTP trigger {@code /fn/{service}/{function}{rest}}. */
    HttpResponse<byte[]> http(
            String method, String service, String function, String rest, byte[] body) {
        return send(
                request("/fn/" + service + "/" + function + rest)
                        .method(method, HttpRequest.BodyPublishers.ofByteArray(body))
                        .build());
    }

    JsonNode getJson(String path) {
        return json(send(admin(path).GET().build()));
    }

    /** A counter's value in {@code GET /metrics} (0 when the series is absent). */
    double metric(String series) {
        for (String line : text(send(admin("/metrics").GET().build())).lines().toList()) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1));
            }
        }
        return 0;
    }

    /**
     * Asserts that the {@code modules} different modules of one language runtime deployed so far
     * were compiled once: the others reused that code (docs/adr/0052).
     */
    void assertCompiledOnce(int modules) {
        double made =
                metric("kiln_compilations_total{source=\"compiled\"}")
                        + metric("kiln_compilations_total{source=\"disk\"}");
        assertThat(made).as("compiled or loaded").isEqualTo(1);
        assertThat(metric("kiln_compilations_total{source=\"shared\"}"))
                .isGreaterThanOrEqualTo(modules - 1);
    }

    /** Records are written off the request path in batches: wait for this one to land. */
    JsonNode awaitRecord(String service, String function, String requestId) {
        String path = functionPath(service, function) + "/invocations/" + requestId;
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            var r = send(admin(path).GET().build());
            if (r.statusCode() == 200) {
                return json(r);
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no invocation record for " + requestId + ": " + text(r));
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    /** The messages of a record's log lines, in order. */
    static List<String> messages(JsonNode record) {
        List<String> out = new ArrayList<>();
        record.path("logs").forEach(l -> out.add(l.path("message").asText()));
        return out;
    }

    static String text(HttpResponse<byte[]> response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    static JsonNode json(HttpResponse<byte[]> response) {
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + text(response), e);
        }
    }

    static String header(HttpResponse<byte[]> response, String name) {
        return response.headers().firstValue(name).orElse(null);
    }

    @Override
    public void close() {
        host.close();
    }
}
