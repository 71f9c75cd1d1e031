package dev.kiln.host.cluster;

import static dev.kiln.host.kv.KeyValueTest.call;
import static dev.kiln.host.kv.KeyValueTest.deployProbe;
import static dev.kiln.host.kv.KeyValueTest.setPayload;
import static dev.kiln.host.kv.KeyValueTest.utf8;
import static dev.kiln.host.testing.TestHost.errorCode;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.testing.NatsServers;
import dev.kiln.host.testing.TestHost;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * NATS servers left at their default {@code max_payload} (1 MiB): a value within Kiln's 1 MiB limit
 * that the servers would not take is refused with the limit code, from a guest and from the admin
 * API, and the node goes on serving (docs/adr/0055).
 */
class ClusterKeyValuePayloadTest {
    @TempDir Path dir;

    @Test
    void aValueOverTheServersMaxPayloadIsRefusedWithTheLimitCodeAndTheNodeStillServes() {
        try (NatsServers nats = NatsServers.start(dir.resolve("nats"), 1, null);
                TestHost node =
                        TestHost.start(
                                dir.resolve("node"), c -> c.cluster(nats.settings("z", "n")))) {
            deployProbe(node, "big", "set");
            deployProbe(node, "big", "get");
            byte[] nearlyMiB = new byte[1024 * 1024 - 100];
            assertThat(call(node, "big", "set", setPayload(utf8("v"), nearlyMiB, 0)).rc())
                    .isEqualTo(-3);
            var put =
                    node.send(
                            node.admin("/api/v1/services/big/kv/v")
                                    .PUT(HttpRequest.BodyPublishers.ofByteArray(nearlyMiB))
                                    .build());
            assertThat(put.statusCode()).isEqualTo(409);
            assertThat(errorCode(put)).isEqualTo("conflict");
            // nothing was stored; smaller values still are
            assertThat(call(node, "big", "get", utf8("v")).rc()).isEqualTo(-1);
            byte[] large = new byte[512 * 1024];
            assertThat(call(node, "big", "set", setPayload(utf8("v"), large, 0)).rc()).isZero();
            assertThat(call(node, "big", "get", utf8("v")).rc()).isEqualTo(large.length);
        }
    }
}
