package dev.kiln.host.cli;

import dev.kiln.host.config.ClusterSettings;
import dev.kiln.host.config.KilnConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * {@code kiln serve}'s cluster options (docs/adr/0048): without {@code --cluster} none applies and
 * the host is the embedded single node it always was.
 */
final class ClusterOptions {
    @Option(
            names = "--cluster",
            paramLabel = "<urls>",
            description =
                    "Run as a node of a cluster on NATS JetStream: comma-separated"
                            + " nats://host:port (or tls://) URLs of the NATS servers. Without it"
                            + " Kiln is the embedded single node.")
    String cluster;

    @Option(
            names = "--zone",
            description = "With --cluster: the zone this node runs in (default: ${DEFAULT-VALUE}).")
    String zone = ClusterSettings.DEFAULT_ZONE;

    @Option(
            names = "--node-name",
            description =
                    "With --cluster: this node's name, unique in the cluster (default:"
                            + " <hostname>-<pid>).")
    String nodeName;

    @Option(names = "--nats-user", description = "With --cluster: NATS user name.")
    String natsUser;

    @Option(
            names = "--nats-password",
            description =
                    "With --nats-user: its password (default: $KILN_NATS_PASSWORD; prefer the"
                            + " variable, a flag shows in the process list).")
    String natsPassword;

    @Option(
            names = "--nats-creds",
            description = "With --cluster: a NATS .creds file (JWT and nkey seed).")
    Path natsCreds;

    @Option(names = "--nats-nkey", description = "With --cluster: a file holding an nkey seed.")
    Path natsNkey;

    @Option(
            names = "--secrets-key",
            description =
                    "With --cluster: the secrets keyring file, the same on every node (default:"
                            + " $KILN_SECRETS_KEY_FILE); required in cluster mode.")
    Path secretsKey;

    @Option(
            names = "--cluster-records-max-mib",
            description =
                    "With --cluster: MiB the cluster's records stream keeps at most, the oldest"
                            + " records dropped first; set by the node that makes the stream"
                            + " (default: ${DEFAULT-VALUE}).")
    long recordsMaxMib = ClusterSettings.DEFAULT_RECORDS_MAX_BYTES >> 20;

    /** Sets {@code builder}'s cluster; {@code command} only for the error of a bad option. */
    void applyTo(KilnConfig.Builder builder, Supplier<CommandLine> command) {
        if (cluster == null) {
            boolean stray =
                    natsUser != null
                            || natsPassword != null
                            || natsCreds != null
                            || natsNkey != null
                            || secretsKey != null
                            || nodeName != null
                            || !zone.equals(ClusterSettings.DEFAULT_ZONE)
                            || recordsMaxMib != ClusterSettings.DEFAULT_RECORDS_MAX_BYTES >> 20;
            if (stray) {
                throw new CommandLine.ParameterException(
                        command.get(),
                        "--zone, --node-name, --secrets-key, --cluster-records-max-mib and the"
                                + " --nats-* options need --cluster");
            }
            return;
        }
        List<String> servers = new ArrayList<>();
        for (String s : cluster.split(",", -1)) {
            if (!s.isBlank()) {
                servers.add(s.strip());
            }
        }
        String password = natsPassword;
        if (natsUser != null && password == null) {
            password = System.getenv("KILN_NATS_PASSWORD");
        }
        Path keyFile = secretsKey;
        if (keyFile == null && System.getenv("KILN_SECRETS_KEY_FILE") != null) {
            keyFile = Path.of(System.getenv("KILN_SECRETS_KEY_FILE"));
        }
        try {
            builder.cluster(
                    new ClusterSettings(
                            servers,
                            zone,
                            nodeName,
                            natsUser,
                            password,
                            natsCreds,
                            natsNkey,
                            keyFile,
                            Math.multiplyExact(recordsMaxMib, 1L << 20)));
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new CommandLine.ParameterException(command.get(), e.getMessage());
        }
    }
}
