package dev.kiln.host.embed;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.host.KilnHost;
import dev.kiln.host.config.KilnConfig;
import dev.kiln.host.core.InvocationOutcome;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.core.TriggerKind;
import dev.kiln.host.deploy.Deployment;
import dev.kiln.host.invoke.InvocationRequest;
import dev.kiln.host.invoke.InvocationResult;
import dev.kiln.host.invoke.RequestIds;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Kiln inside a Java application (docs/adr/0044): start a host with its own data directory, with an
 * HTTP listener on a port of your choice or none at all, deploy modules and invoke them in-process
 * — no HTTP, no serialisation of the payload — then close it.
 *
 * <pre>{@code
 * try (EmbeddedKiln kiln = EmbeddedKiln.builder(Path.of("kiln-data")).start()) {
 *     kiln.deploy("demo", "hello", Files.readAllBytes(Path.of("hello.wasm")), Map.of("timeoutMs", 2000));
 *     EmbeddedKiln.Result r = kiln.invoke("demo", "hello", "Kiln".getBytes(UTF_8));
 *     System.out.println(r.text() + " (version " + r.version() + ")");
 * }
 * }</pre>
 *
 * <p>Every check a served host makes applies: uploads are validated, compiled and initialised under
 * the upload deadline, invocations are metered, time-limited, recorded and count against the same
 * limits ({@link KilnConfig}); events, timers and the key-value store run as they do under {@code
 * kiln serve}. One instance per data directory (it is locked). Thread-safe.
 */
public final class EmbeddedKiln implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final KilnHost host;

    private EmbeddedKiln(KilnHost host) {
        this.host = host;
    }

    /** A builder for a host keeping its state in {@code dataDirectory} (created if missing). */
    public static Builder builder(Path dataDirectory) {
        return new Builder(dataDirectory);
    }

    /** The HTTP port (the API, {@code /fn/…} triggers), or empty when started without HTTP. */
    public OptionalInt httpPort() {
        return host.port() < 0 ? OptionalInt.empty() : OptionalInt.of(host.port());
    }

    /** The admin token of the HTTP API: the one given to the builder, or a generated one. */
    public String adminToken() {
        return host.adminToken().token();
    }

    /** What a deployment made. */
    public record Deployed(
            String service, String function, int version, String sha256, boolean created) {}

    /**
     * Deploys a WebAssembly module, or a zip with {@code kiln.json} and the module, as {@code PUT
     * …/functions/{f}} does: creates the function or a new version (none when code and settings are
     * unchanged).
     *
     * @throws EmbeddedKilnException {@code invalid_module} and the others of the HTTP API
     */
    public Deployed deploy(String service, String function, byte[] code) {
        return deploy(service, function, code, Map.of());
    }

    /**
     * {@link #deploy(String, String, byte[])} with settings (the API's names: {@code handler},
     * {@code abi}, {@code timeoutMs}, {@code memoryMiB}, {@code env}, ...), stored with the code as
     * one version.
     */
    public Deployed deploy(String service, String function, byte[] code, Map<String, ?> settings) {
        Objects.requireNonNull(code, "code");
        boolean zip = code.length >= 2 && code[0] == 'P' && code[1] == 'K';
        if (zip && !settings.isEmpty()) {
            throw new IllegalArgumentException(
                    "give the settings in the zip's kiln.json, or deploy the module alone");
        }
        byte[] body = zip || settings.isEmpty() ? code : zipWithManifest(code, settings);
        String type = zip || !settings.isEmpty() ? "application/zip" : "application/wasm";
        try {
            Deployment d = host.deploy(service, function, type, body);
            return new Deployed(
                    service,
                    function,
                    d.function().latest().number(),
                    d.function().latest().sha256(),
                    d.created());
        } catch (KilnException e) {
            throw EmbeddedKilnException.of(e, null);
        }
    }

    /** Deletes a function with its versions, aliases, triggers, secrets and queued events. */
    public void delete(String service, String function) {
        try {
            host.delete(service, function);
        } catch (KilnException e) {
            throw EmbeddedKilnException.of(e, null);
        }
    }

    /** One invocation's answer. */
    public record Result(
            int status,
            Map<String, String> headers,
            byte[] body,
            int version,
            String requestId,
            long durationMicros,
            long fuel,
            String start) {
        public Result {
            headers = Map.copyOf(headers);
        }

        /** The body as UTF-8 text. */
        public String text() {
            return new String(body, java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    /** Invokes the function's LATEST version. */
    public Result invoke(String service, String function, byte[] payload) {
        return invoke(service, function, payload, null);
    }

    /**
     * Invokes the version {@code qualifier} selects (LATEST for null, a version number or an
     * alias), in-process on Kiln's worker pool, and waits for the answer. A failed invocation
     * throws with the API's code ({@code guest_trap}, {@code timeout}, {@code fuel_exhausted},
     * {@code overloaded}, ...) and its request id, whose record and logs are kept as for any
     * invocation.
     *
     * @throws EmbeddedKilnException how the invocation failed, or {@code function_not_found}
     */
    public Result invoke(String service, String function, byte[] payload, String qualifier) {
        String requestId = RequestIds.next();
        var answer = new CompletableFuture<InvocationResult>();
        try {
            host.invoker()
                    .submit(
                            new InvocationRequest(
                                    requestId,
                                    service,
                                    function,
                                    TriggerKind.INVOKE.wire(),
                                    payload == null ? new byte[0] : payload,
                                    null,
                                    0,
                                    qualifier,
                                    0),
                            answer::complete);
        } catch (KilnException e) {
            throw EmbeddedKilnException.of(e, requestId);
        }
        InvocationResult r;
        try {
            r = answer.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EmbeddedKilnException("interrupted", "interrupted while waiting", requestId);
        } catch (ExecutionException e) {
            throw new IllegalStateException("an invocation's answer failed", e.getCause());
        }
        return switch (r.outcome()) {
            case InvocationOutcome.Ok ok -> {
                Map<String, String> headers = new LinkedHashMap<>();
                ok.headers().forEach(h -> headers.put(h.name(), h.value()));
                yield new Result(
                        ok.status(),
                        headers,
                        ok.body(),
                        r.version(),
                        r.requestId(),
                        r.durationMicros(),
                        r.fuel(),
                        r.startKind() == null ? null : r.startKind().wire());
            }
            case InvocationOutcome.Failure f ->
                    throw new EmbeddedKilnException(f.code().wire(), f.message(), r.requestId());
        };
    }

    /**
     * The host underneath, for what this class does not cover (metrics, pools, the key-value
     * store); its API may change between releases, this class's does not.
     */
    public KilnHost host() {
        return host;
    }

    /** Stops: running invocations finish, queued events stay queued, storage is closed. */
    @Override
    public void close() {
        host.close();
    }

    private static byte[] zipWithManifest(byte[] module, Map<String, ?> settings) {
        ObjectNode manifest = JSON.valueToTree(settings);
        manifest.put("module", "function.wasm");
        var out = new ByteArrayOutputStream();
        try (var zip = new ZipOutputStream(out)) {
            zip.putNextEntry(new ZipEntry("kiln.json"));
            zip.write(JSON.writeValueAsBytes(manifest));
            zip.putNextEntry(new ZipEntry("function.wasm"));
            zip.write(module);
            zip.closeEntry();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Settings of an embedded host. */
    public static final class Builder {
        private final Path dataDirectory;
        private int port = -1;
        private String adminToken;
        private Consumer<KilnConfig.Builder> tweaks = b -> {};

        private Builder(Path dataDirectory) {
            this.dataDirectory = Objects.requireNonNull(dataDirectory, "dataDirectory");
        }

        /**
         * Also serve Kiln's HTTP API and triggers on 127.0.0.1:{@code port} (0: a free port, see
         * {@link EmbeddedKiln#httpPort()}). Without this, no port is bound.
         */
        public Builder httpPort(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be 0 to 65535");
            }
            this.port = port;
            return this;
        }

        /** The admin token of the HTTP API (default: generated and kept in the data directory). */
        public Builder adminToken(String adminToken) {
            this.adminToken = adminToken;
            return this;
        }

        /**
         * Any other limit or setting, on the {@link KilnConfig} builder {@code kiln serve} uses.
         */
        public Builder configure(Consumer<KilnConfig.Builder> tweaks) {
            this.tweaks = this.tweaks.andThen(tweaks);
            return this;
        }

        /**
         * Starts the host.
         *
         * @throws IOException when the data directory cannot be used (another host holds it, a
         *     database is damaged) or the port cannot be bound
         */
        public EmbeddedKiln start() throws IOException {
            KilnConfig.Builder config =
                    KilnConfig.builder().dataDir(dataDirectory).port(Math.max(port, 0));
            if (adminToken != null) {
                config.adminToken(adminToken);
            }
            tweaks.accept(config);
            KilnConfig built = config.build();
            return new EmbeddedKiln(
                    port < 0 ? KilnHost.startWithoutHttp(built) : KilnHost.start(built));
        }
    }
}
