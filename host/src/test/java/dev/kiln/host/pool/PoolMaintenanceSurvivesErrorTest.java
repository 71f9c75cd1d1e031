package dev.kiln.host.pool;

import static dev.kiln.host.testing.TestHost.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.core.FunctionName;
import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pool's maintenance sweep survives an Error: thrown out of a periodic task, it would have
 * cancelled every later sweep, so idle instances would never expire (docs/adr/0030).
 */
class PoolMaintenanceSurvivesErrorTest {
    static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir Path data;
    TestHost kiln;

    @AfterEach
    void stop() {
        InstancePool.FAULTS.disarm();
        if (kiln != null) {
            kiln.close();
        }
    }

    @Test
    void idleInstancesStillExpireAfterAnOutOfMemoryErrorInTheSweep() {
        kiln = TestHost.start(data, b -> b.instanceIdleTtl(Duration.ofMillis(300)));
        int thrownBefore = InstancePool.FAULTS.thrown();
        InstancePool.FAULTS.armOnce(new OutOfMemoryError("injected by the test"));
        await(
                "the fault to be thrown in the sweep",
                WAIT,
                () -> InstancePool.FAULTS.thrown() == thrownBefore + 1);

        kiln.deploy("p", "echo", Wat.fixture("echo"));
        assertThat(kiln.invoke("p", "echo", "x").statusCode()).isEqualTo(200);
        assertThat(kiln.host().pool().stats(new FunctionName("p", "echo")).idle()).isPositive();
        await(
                "the idle instance to expire",
                WAIT,
                () -> kiln.host().pool().stats(new FunctionName("p", "echo")).live() == 0);
    }
}
