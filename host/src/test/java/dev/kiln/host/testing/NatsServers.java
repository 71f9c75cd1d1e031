package dev.kiln.host.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.host.config.ClusterSettings;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Real {@code nats-server} processes with JetStream on loopback (Debian's package, installed by
 * .ci/run): one, or three joined by cluster routes, each with its own free ports and store
 * directory. Stopped by PID; one can be killed and started again on the same ports and store.
 * Without the binary a test is skipped locally, and fails under CI ({@code CI=true}).
 */
public final class NatsServers implements AutoCloseable {
    private static final Path BINARY = findBinary();

    private static final int START_ATTEMPTS = 3;

    private final Path dir;
    private final List<Server> servers = new ArrayList<>();

    /** One server of the set. */
    public final class Server {
        final String name;
        final int port;
        final int clusterPort;
        final Path config;
        Process process;

        Server(String name, int port, int clusterPort, Path config) {
            this.name = name;
            this.port = port;
            this.clusterPort = clusterPort;
            this.config = config;
        }

        public String url() {
            return "nats://127.0.0.1:" + port;
        }

        public long pid() {
            return process.pid();
        }

        /** kill -9 by PID, and waits until the process is gone. */
        public void kill() {
            ProcessHandle.of(process.pid()).ifPresent(ProcessHandle::destroyForcibly);
            try {
                process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** Starts it again on the same ports and store directory. */
        public void restart() {
            start();
            awaitListening();
        }

        /** Until the port answers; fails at once, with the log's tail, if the process exits. */
        void awaitListening() {
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new ServerExited(
                            name
                                    + " exited ("
                                    + process.exitValue()
                                    + ") before listening on "
                                    + port
                                    + logTail());
                }
                if (answers(port)) {
                    return;
                }
                pause(50);
            }
            throw new IllegalStateException(
                    "nats-server " + name + " did not listen on " + port + logTail());
        }

        private String logTail() {
            try {
                List<String> lines = Files.readAllLines(dir.resolve(name + ".log"));
                return "; log: "
                        + String.join(
                                " | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
            } catch (IOException e) {
                return "";
            }
        }

        void start() {
            try {
                process =
                        new ProcessBuilder(BINARY.toString(), "-c", config.toString())
                                .redirectErrorStream(true)
                                .redirectOutput(
                                        ProcessBuilder.Redirect.appendTo(
                                                dir.resolve(name + ".log").toFile()))
                                .start();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private NatsServers(Path dir) {
        this.dir = dir;
    }

    /** Skips the test when nats-server is missing, except under CI where that is a failure. */
    public static void assumeInstalled() {
        if ("true".equals(System.getenv("CI"))) {
            assertThat(BINARY).as("nats-server (installed by .ci/run)").isNotNull();
        }
        assumeTrue(BINARY != null, "nats-server is not installed (apt-get install nats-server)");
    }

    /**
     * Starts {@code count} servers (1, or 3 joined in one JetStream cluster) under {@code dir} and
     * waits until JetStream answers on every one.
     */
    public static NatsServers start(Path dir, int count) {
        return start(dir, count, "2MB");
    }

    /**
     * As {@link #start(Path, int)}, with the servers' {@code max_payload} ({@code null}: NATS'
     * default, 1 MiB).
     */
    public static NatsServers start(Path dir, int count, String maxPayload) {
        assumeInstalled();
        // A port picked free can be taken before nats-server binds it (another socket's ephemeral
        // port); the server then exits. Such a start is retried on fresh ports in a fresh dir.
        IllegalStateException failed = null;
        for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
            Path attemptDir = attempt == 1 ? dir : dir.resolve("retry-" + attempt);
            try {
                return startOnce(Files.createDirectories(attemptDir), count, maxPayload);
            } catch (ServerExited e) {
                if (failed == null) {
                    failed = e;
                } else {
                    failed.addSuppressed(e);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        throw failed;
    }

    private static NatsServers startOnce(Path dir, int count, String maxPayload)
            throws IOException {
        var set = new NatsServers(dir);
        try {
            int[] free = freePorts(2 * count);
            for (int i = 0; i < count; i++) {
                String name = "n" + (i + 1);
                int port = free[2 * i];
                int clusterPort = free[2 * i + 1];
                Path store = Files.createDirectories(dir.resolve(name + "-store"));
                StringBuilder conf = new StringBuilder();
                conf.append("server_name: ").append(name).append('\n');
                conf.append("listen: 127.0.0.1:").append(port).append('\n');
                conf.append("jetstream { store_dir: \"").append(store).append("\" }\n");
                if (maxPayload != null) {
                    // 2MB: room for a full 1 MiB key-value value with its headers (CLUSTER.md)
                    conf.append("max_payload: ").append(maxPayload).append('\n');
                }
                if (count > 1) {
                    List<String> routes = new ArrayList<>();
                    for (int j = 0; j < count; j++) {
                        if (j != i) {
                            routes.add("nats://127.0.0.1:" + free[2 * j + 1]);
                        }
                    }
                    conf.append("cluster { name: kiln-test, listen: 127.0.0.1:")
                            .append(clusterPort)
                            .append(", routes: [")
                            .append(String.join(", ", routes))
                            .append("] }\n");
                }
                Path config = dir.resolve(name + ".conf");
                Files.writeString(config, conf);
                set.servers.add(set.new Server(name, port, clusterPort, config));
            }
            for (Server s : set.servers) {
                s.start();
            }
            for (Server s : set.servers) {
                s.awaitListening();
            }
            set.awaitJetStream();
            return set;
        } catch (IOException | RuntimeException e) {
            set.close();
            throw e;
        }
    }

    public Server server(int i) {
        return servers.get(i);
    }

    /** Every server's URL, comma-separated: what {@code --cluster} takes. */
    public String urls() {
        return servers.stream().map(Server::url).collect(Collectors.joining(","));
    }

    public List<String> urlList() {
        return servers.stream().map(Server::url).toList();
    }

    /**
     * The secrets keyring every node of this cluster shares (docs/adr/0054), made once next to the
     * servers' files.
     */
    public synchronized Path secretsKey() {
        try {
            Path keyDir = Files.createDirectories(dir.resolve("shared"));
            dev.kiln.host.secrets.SecretKeyring.loadOrCreate(keyDir);
            return keyDir.resolve(dev.kiln.host.secrets.SecretKeyring.FILE_NAME);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A node's settings for this cluster: its zone and name, and the shared secrets key. */
    public ClusterSettings settings(String zone, String nodeName) {
        return new ClusterSettings(urlList(), zone, nodeName).withSecretsKey(secretsKey());
    }

    /** Until JetStream (with its meta leader, for a cluster) answers an account request. */
    private void awaitJetStream() {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            for (Server s : servers) {
                if (s.process != null && !s.process.isAlive()) {
                    throw new ServerExited(s.name + " exited" + s.logTail());
                }
            }
            Connection nc = null;
            try {
                nc =
                        Nats.connect(
                                new Options.Builder()
                                        .servers(urlList().toArray(String[]::new))
                                        .connectionTimeout(Duration.ofSeconds(2))
                                        .build());
                nc.jetStreamManagement().getAccountStatistics();
                nc.close();
                return;
            } catch (Exception e) {
                if (nc != null) {
                    try {
                        nc.close();
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                    }
                }
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
                last = e;
            }
            pause(200);
        }
        throw new IllegalStateException("JetStream did not come up; logs in " + dir, last);
    }

    private static boolean answers(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** A server process that ended during its start: worth another try on other ports. */
    private static final class ServerExited extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        ServerExited(String message) {
            super(message);
        }
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A port nobody listens on now. */
    public static int freePort() {
        return freePorts(1)[0];
    }

    /** {@code n} distinct ports nobody listens on now (held open together, so none repeats). */
    private static int[] freePorts(int n) {
        List<ServerSocket> held = new ArrayList<>();
        try {
            int[] ports = new int[n];
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
                held.add(s);
                ports[i] = s.getLocalPort();
            }
            return ports;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            for (ServerSocket s : held) {
                try {
                    s.close();
                } catch (IOException e) {
                    // closing a never-connected listener; nothing to recover
                }
            }
        }
    }

    private static Path findBinary() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":", -1)) {
            if (!dir.isEmpty()) {
                Path p = Path.of(dir, "nats-server");
                if (Files.isExecutable(p)) {
                    return p;
                }
            }
        }
        for (String p : List.of("/usr/bin/nats-server", "/usr/sbin/nats-server")) {
            if (Files.isExecutable(Path.of(p))) {
                return Path.of(p);
            }
        }
        return null;
    }

    /** Stops every server by its PID. */
    @Override
    public void close() {
        for (Server s : servers) {
            if (s.process != null && s.process.isAlive()) {
                s.kill();
            }
        }
    }
}
