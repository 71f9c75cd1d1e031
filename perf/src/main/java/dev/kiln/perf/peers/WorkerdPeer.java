package dev.kiln.perf.peers;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Cloudflare's workerd from npm: {@code /hello} echoes in JavaScript, {@code /wasm} through the
 * same echo module Kiln serves.
 */
record WorkerdPeer() implements Peer {
    static final String HELLO = "workerd-hello";
    static final String WASM = "workerd-wasm";

    @Override
    public List<String> targetIds() {
        return List.of(HELLO, WASM);
    }

    @Override
    public Running start(PeerContext context)
            throws IOException, InterruptedException, PeerUnavailableException {
        if (context.workerd() == null) {
            throw new PeerUnavailableException(context.workerdMissing());
        }
        Path dir = Files.createDirectories(context.workDir().resolve("workerd"));
        copyResource("/peers/workerd/config.capnp", dir.resolve("config.capnp"));
        copyResource("/peers/workerd/worker.mjs", dir.resolve("worker.mjs"));
        Files.write(dir.resolve("echo.wasm"), context.echoWasm());
        int port = context.ports().next();
        ServerProcess server =
                ServerProcess.start(
                        "workerd",
                        List.of(
                                context.workerd().toString(),
                                "serve",
                                "config.capnp",
                                "--socket-addr",
                                "http=127.0.0.1:" + port),
                        Map.of(),
                        dir,
                        context.workDir().resolve("workerd.log"));
        try {
            server.awaitPort(port, Duration.ofSeconds(30));
        } catch (IOException | InterruptedException e) {
            server.close();
            throw e;
        }
        String base = "http://127.0.0.1:" + port;
        return new Running(
                List.of(
                        new Target(
                                HELLO,
                                "workerd, JavaScript echo",
                                URI.create(base + "/hello"),
                                List.of()),
                        new Target(
                                WASM,
                                "workerd, echo.wasm called from JavaScript",
                                URI.create(base + "/wasm"),
                                List.of())),
                Map.of(),
                server);
    }

    private static void copyResource(String name, Path to) throws IOException {
        try (InputStream in = WorkerdPeer.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("missing resource " + name);
            }
            Files.write(to, in.readAllBytes());
        }
    }
}
