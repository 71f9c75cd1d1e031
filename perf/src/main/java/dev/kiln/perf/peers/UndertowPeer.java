package dev.kiln.perf.peers;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** Bare Undertow ({@link BareUndertowServer}) answering on the IO thread or from workers. */
record UndertowPeer(boolean dispatch) implements Peer {
    static final String IO = "undertow-io";
    static final String WORKER = "undertow-worker";

    private String id() {
        return dispatch ? WORKER : IO;
    }

    @Override
    public List<String> targetIds() {
        return List.of(id());
    }

    @Override
    public Running start(PeerContext context) throws IOException, InterruptedException {
        int port = context.ports().next();
        String mode = dispatch ? "worker" : "io";
        ServerProcess server =
                ServerProcess.start(
                        id(),
                        context.javaCommand(
                                BareUndertowServer.class.getName(),
                                List.of(Integer.toString(port), mode)),
                        Map.of(),
                        context.workDir(),
                        context.workDir().resolve(id() + ".log"));
        try {
            server.awaitPort(port, Duration.ofSeconds(30));
        } catch (IOException | InterruptedException e) {
            server.close();
            throw e;
        }
        String label =
                dispatch
                        ? "bare Undertow, answered from a worker pool like Kiln's"
                        : "bare Undertow, answered on the IO thread";
        return new Running(
                List.of(
                        new Target(
                                id(),
                                label,
                                URI.create("http://127.0.0.1:" + port + "/echo"),
                                List.of())),
                Map.of(),
                server);
    }
}
