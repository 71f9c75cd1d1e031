package dev.kiln.host.config;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Cluster mode (docs/adr/0048): the NATS servers every node connects to, this node's zone and name,
 * and how it authenticates. Null in {@link KilnConfig} means the embedded single node.
 *
 * @param servers {@code nats://host:port} (or {@code tls://}) URLs of the NATS cluster, at least
 *     one
 * @param zone the zone this node runs in (work stays in the caller's zone when it can)
 * @param nodeName this node's name, unique in the cluster; null picks {@code <hostname>-<pid>}
 * @param user user name for user/password authentication, or null
 * @param password password of {@code user}, or null
 * @param credsFile a NATS {@code .creds} file (JWT and nkey seed), or null
 * @param nkeyFile a file holding an nkey seed ({@code SU…}), or null
 * @param secretsKeyFile the secrets keyring every node is given (docs/adr/0054); a node without one
 *     does not start
 * @param recordsMaxBytes bytes the cluster's records stream keeps at most, the oldest dropped first
 *     (docs/adr/0057): every node's records, replicated to every node, until their max age
 */
public record ClusterSettings(
        List<String> servers,
        String zone,
        String nodeName,
        String user,
        String password,
        Path credsFile,
        Path nkeyFile,
        Path secretsKeyFile,
        long recordsMaxBytes) {

    /** Zone and node names: what fits a NATS subject token and a KV key. */
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,62}");

    public static final String DEFAULT_ZONE = "default";

    /** 1 GiB: hours of records at a hundred invocations a second, minutes at thousands. */
    public static final long DEFAULT_RECORDS_MAX_BYTES = 1L << 30;

    /** JetStream needs room for a few messages; records are packed up to 1 MiB a message. */
    public static final long MIN_RECORDS_MAX_BYTES = 8L << 20;

    public ClusterSettings {
        servers = List.copyOf(servers);
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("cluster mode needs at least one NATS server URL");
        }
        for (String s : servers) {
            URI uri;
            try {
                uri = URI.create(s);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("not a NATS server URL: " + s);
            }
            if (!List.of("nats", "tls").contains(String.valueOf(uri.getScheme()))
                    || uri.getHost() == null) {
                throw new IllegalArgumentException(
                        "a NATS server URL is nats://host:port or tls://host:port, got " + s);
            }
        }
        Objects.requireNonNull(zone, "zone");
        if (!NAME.matcher(zone).matches()) {
            throw new IllegalArgumentException("zone must match " + NAME.pattern());
        }
        if (nodeName != null && !NAME.matcher(nodeName).matches()) {
            throw new IllegalArgumentException("node name must match " + NAME.pattern());
        }
        if ((user == null) != (password == null)) {
            throw new IllegalArgumentException("a NATS user and its password go together");
        }
        int ways =
                (user != null ? 1 : 0) + (credsFile != null ? 1 : 0) + (nkeyFile != null ? 1 : 0);
        if (ways > 1) {
            throw new IllegalArgumentException(
                    "use one way to authenticate to NATS: user/password, a creds file or an nkey");
        }
        if (recordsMaxBytes < MIN_RECORDS_MAX_BYTES) {
            throw new IllegalArgumentException(
                    "the records stream needs at least "
                            + (MIN_RECORDS_MAX_BYTES >> 20)
                            + " MiB, got "
                            + recordsMaxBytes
                            + " bytes");
        }
    }

    /** Servers, zone and node name only: no authentication, no secrets key yet. */
    public ClusterSettings(List<String> servers, String zone, String nodeName) {
        this(servers, zone, nodeName, null, null, null, null, null, DEFAULT_RECORDS_MAX_BYTES);
    }

    /** These settings with {@code file} as the shared secrets keyring. */
    public ClusterSettings withSecretsKey(Path file) {
        return with(file, recordsMaxBytes);
    }

    /** These settings with the records stream kept to {@code bytes}. */
    public ClusterSettings withRecordsMaxBytes(long bytes) {
        return with(secretsKeyFile, bytes);
    }

    private ClusterSettings with(Path secrets, long recordsBytes) {
        return new ClusterSettings(
                servers,
                zone,
                nodeName,
                user,
                password,
                credsFile,
                nkeyFile,
                secrets,
                recordsBytes);
    }

    /** The password never appears in logs or messages. */
    @Override
    public String toString() {
        return "ClusterSettings[servers="
                + servers
                + ", zone="
                + zone
                + ", nodeName="
                + nodeName
                + ", user="
                + user
                + (password != null ? ", password=***" : "")
                + ", credsFile="
                + credsFile
                + ", nkeyFile="
                + nkeyFile
                + ", secretsKeyFile="
                + secretsKeyFile
                + ", recordsMaxBytes="
                + recordsMaxBytes
                + "]";
    }
}
