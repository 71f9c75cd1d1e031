package dev.kiln.perf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@link ClusterCostProbe} briefly inside the build, so the probe keeps working: both hosts loaded,
 * both versions seen on every node. Checks shapes, never speed. Needs {@code nats-server}
 * (installed by .ci/run): skipped without it locally, a failure under CI.
 */
@Tag("slow") // a nats-server and four hosts
class ClusterCostProbeSmokeTest {
    @Test
    void measuresBothHostsAndDeploysSeenEverywhere() throws Exception {
        boolean installed =
                java.util.Arrays.stream(System.getenv().getOrDefault("PATH", "").split(":", -1))
                        .anyMatch(
                                d -> !d.isEmpty() && Files.isExecutable(Path.of(d, "nats-server")));
        if ("true".equals(System.getenv("CI"))) {
            assertThat(installed).as("nats-server on the PATH (installed by .ci/run)").isTrue();
        }
        assumeTrue(installed, "nats-server is not installed");

        ClusterCostProbe.Result r = ClusterCostProbe.run(1, 1, 2, 2);

        assertThat(r.embeddedRps()).isPositive();
        assertThat(r.clusterRps()).isPositive();
        assertThat(r.errors()).isZero();
        assertThat(r.embeddedDeployMs()).isPositive();
        assertThat(r.clusterDeployMs()).isPositive();
        assertThat(r.toString()).startsWith("cluster-cost: ");
    }
}
