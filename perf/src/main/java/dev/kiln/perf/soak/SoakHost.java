package dev.kiln.perf.soak;

import com.dylibso.chicory.wabt.Wat2Wasm;
import dev.kiln.perf.peers.Ports;
import dev.kiln.perf.peers.ServerProcess;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The host under soak: {@code kiln serve} in a child process (its own JVM, so its heap and threads
 * are its own) on a free loopback port and a fresh data directory, with the soak's guests deployed
 * through the management API.
 */
final class SoakHost implements AutoCloseable {
    /** A guest: the function name, its WAT resource, settings to PATCH after the upload. */
    record Guest(String function, String resource, String settings) {}

    static final List<Guest> GUESTS =
            List.of(
                    new Guest("echo", "/peers/echo.wat", null),
                    new Guest("web", "/soak/web.wat", null),
                    new Guest("sink", "/peers/echo.wat", null),
                    // Out of fuel within milliseconds (the default would be 10 s worth).
                    new Guest("spin", "/soak/spin.wat", "{\"fuel\": 2000000}"),
                    // Plenty of fuel: the 20 ms deadline stops it.
                    new Guest(
                            "sleeper",
                            "/soak/spin.wat",
                            "{\"timeoutMs\": 20, \"fuel\": 10000000000}"),
                    new Guest("hog", "/soak/hog.wat", "{\"memoryMiB\": 2}"),
                    new Guest("crash", "/soak/crash.wat", null),
                    new Guest("deep", "/soak/deep.wat", null));

    private final ServerProcess server;
    private final KilnApi api;
    private final Path dataDir;

    private SoakHost(ServerProcess server, KilnApi api, Path dataDir) {
        this.server = server;
        this.api = api;
        this.dataDir = dataDir;
    }

    /**
     * Starts Kiln with {@code java} (the executable and its options) from {@code kilnJar}, or from
     * {@code classpath} when the jar is null, and deploys every guest.
     */
    static SoakHost start(List<String> java, Path kilnJar, String classpath, Path workDir)
            throws IOException, InterruptedException {
        int port = new Ports(0).next();
        Path data = Files.createDirectories(workDir.resolve("kiln-data"));
        String token = "soak-" + UUID.randomUUID();
        List<String> command = new ArrayList<>(java);
        if (kilnJar != null) {
            command.addAll(List.of("-jar", kilnJar.toString()));
        } else {
            command.addAll(List.of("-cp", classpath, "dev.kiln.host.cli.KilnCli"));
        }
        command.addAll(
                List.of("serve", "--port", Integer.toString(port), "--data", data.toString()));
        ServerProcess server =
                ServerProcess.start(
                        "kiln",
                        command,
                        Map.of("KILN_ADMIN_TOKEN", token, "KILN_LOG_LEVEL", "WARN"),
                        workDir,
                        workDir.resolve("kiln.log"));
        SoakHost host = new SoakHost(server, new KilnApi("http://127.0.0.1:" + port, token), data);
        try {
            server.awaitPort(port, Duration.ofSeconds(60));
            for (Guest g : GUESTS) {
                host.deploy(g);
            }
            return host;
        } catch (IOException | InterruptedException | RuntimeException e) {
            host.close();
            throw e;
        }
    }

    private void deploy(Guest g) throws IOException, InterruptedException {
        HttpResponse<String> put = api.put(g.function(), wasm(g.resource()));
        if (put.statusCode() / 100 != 2) {
            throw new IOException(
                    "upload of " + g.function() + ": " + put.statusCode() + " " + put.body());
        }
        if (g.settings() != null) {
            HttpResponse<String> patch = api.patch(g.function(), g.settings());
            if (patch.statusCode() != 200) {
                throw new IOException(
                        "settings of "
                                + g.function()
                                + ": "
                                + patch.statusCode()
                                + " "
                                + patch.body());
            }
        }
    }

    /**
     * Sends each kind one request with the JDK client and checks the status and, for errors, the
     * code in the envelope: the load generator sees only statuses, so the codes are proved here
     * (and counted by outcome in the host's metrics during the load).
     */
    void probe(List<LoadKind> kinds) throws IOException, InterruptedException {
        for (LoadKind k : kinds) {
            String[] headers =
                    k.headers().stream()
                            .filter(h -> !h.startsWith("Authorization"))
                            .flatMap(h -> Stream.of(h.split(":\\s*", 2)))
                            .toArray(String[]::new);
            HttpResponse<String> r = api.post(k.path(), LoadKind.PAYLOAD, headers);
            String code = r.statusCode() / 100 == 2 ? "ok" : KilnApi.errorCode(r.body());
            if (r.statusCode() != k.status() || !code.equals(k.outcome())) {
                throw new IOException(
                        k.name()
                                + ": expected "
                                + k.status()
                                + " "
                                + k.outcome()
                                + ", got "
                                + r.statusCode()
                                + " "
                                + r.body());
            }
            if (k.outcome().equals("ok")
                    && k.status() == 200
                    && !r.body().equals(new String(LoadKind.PAYLOAD, StandardCharsets.UTF_8))) {
                throw new IOException(k.name() + ": the answer is not the payload: " + r.body());
            }
        }
    }

    static byte[] wasm(String resource) {
        try (InputStream in = SoakHost.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + resource);
            }
            return Wat2Wasm.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    KilnApi api() {
        return api;
    }

    ServerProcess server() {
        return server;
    }

    /** Bytes in the data directory (files that vanish while it is walked are skipped). */
    long dataDirBytes() throws IOException {
        long total = 0;
        try (Stream<Path> files = Files.walk(dataDir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                try {
                    if (Files.isRegularFile(p)) {
                        total += Files.size(p);
                    }
                } catch (NoSuchFileException gone) {
                    // A SQLite journal or a temporary file removed meanwhile.
                }
            }
        }
        return total;
    }

    @Override
    public void close() {
        server.close();
    }
}
