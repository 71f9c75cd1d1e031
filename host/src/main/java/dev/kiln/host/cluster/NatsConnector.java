package dev.kiln.host.cluster;

import dev.kiln.host.config.ClusterSettings;
import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.io.IOException;
import java.time.Duration;

/**
 * Opens the node's one NATS connection: every server of the settings, its credentials, endless
 * reconnects (a node outlives a NATS outage and recovers by itself, docs/adr/0048), and a short
 * connect timeout so an unreachable cluster at start is one clear line, not a hang.
 */
final class NatsConnector {
    /** How long the first connection may take before {@code kiln serve} gives up. */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    private NatsConnector() {}

    static Connection connect(ClusterSettings s, String nodeName, ConnectionListener listener)
            throws IOException {
        Options.Builder options =
                new Options.Builder()
                        .servers(s.servers().toArray(String[]::new))
                        // In the order given, not shuffled: a node lists its own zone's server
                        // first (docs/CLUSTER.md, "Topology per zone") and should use it.
                        .noRandomize()
                        .connectionName("kiln-" + nodeName)
                        .connectionTimeout(CONNECT_TIMEOUT)
                        .maxReconnects(-1)
                        .reconnectWait(Duration.ofMillis(500))
                        .pingInterval(Duration.ofSeconds(5))
                        .connectionListener(listener);
        if (s.user() != null) {
            options.userInfo(s.user().toCharArray(), s.password().toCharArray());
        } else if (s.credsFile() != null) {
            options.authHandler(Nats.credentials(s.credsFile().toString()));
        } else if (s.nkeyFile() != null) {
            options.authHandler(Nats.credentials(null, s.nkeyFile().toString()));
        }
        try {
            return Nats.connect(options.build());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while connecting to NATS", e);
        } catch (IOException | RuntimeException e) {
            throw new IOException(
                    "cannot reach the NATS cluster at "
                            + String.join(",", s.servers())
                            + " ("
                            + e.getMessage()
                            + ")",
                    e);
        }
    }
}
