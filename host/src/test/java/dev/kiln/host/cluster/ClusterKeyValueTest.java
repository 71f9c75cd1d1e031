package dev.kiln.host.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.kv.KeyValueTest;
import dev.kiln.host.kv.KvLimits;
import dev.kiln.host.testing.NatsServers;
import dev.kiln.host.testing.TestHost;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every test of the single node's key-value store, run on a cluster node whose store is the {@code
 * kiln-kv} bucket of a real nats-server (docs/adr/0055): the same answers and the same stable
 * codes.
 */
class ClusterKeyValueTest extends KeyValueTest {
    @TempDir Path natsDir;
    NatsServers nats;

    @Override
    protected TestHost startHost(Path dataDir, KvLimits limits) {
        if (nats == null) {
            nats = NatsServers.start(natsDir, 1);
        }
        TestHost node =
                TestHost.start(dataDir, b -> b.kvLimits(limits).cluster(nats.settings("z", "kv")));
        assertThat(node.host().kv()).isInstanceOf(JetStreamKvStore.class);
        assertThat(dataDir.resolve("kv.db")).doesNotExist();
        return node;
    }

    // Runs before KeyValueTest's own: the node leaves while NATS is still there.
    @AfterEach
    void stopNodeThenNats() {
        if (kiln != null) {
            kiln.close();
            kiln = null;
        }
        if (nats != null) {
            nats.close();
        }
    }
}
