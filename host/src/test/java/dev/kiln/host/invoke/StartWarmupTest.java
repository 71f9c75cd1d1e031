package dev.kiln.host.invoke;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.testing.TestHost;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The start-time warm-up on a real host: it leaves no instance and no code in memory behind, and a
 * user's function made of the very same bytes keeps its cached code across restarts.
 */
class StartWarmupTest {
    @TempDir Path data;

    @Test
    void theWarmUpLeavesNothingBehindAndAFunctionOfTheSameBytesServesAcrossARestart() {
        try (TestHost h = TestHost.start(data)) {
            assertThat(h.host().pool().liveInstances()).isZero();
            assertThat(h.host().pool().compiledCount()).isZero();
            assertThat(h.deploy("s", "echo", StartWarmup.ECHO).statusCode()).isEqualTo(201);
            var first = h.invoke("s", "echo", "hello");
            assertThat(first.statusCode()).isEqualTo(200);
            assertThat(TestHost.text(first)).isEqualTo("hello");
        }
        try (TestHost h = TestHost.start(data)) { // warmed again, with these bytes stored
            assertThat(h.host().pool().liveInstances()).isZero();
            var again = h.invoke("s", "echo", "again");
            assertThat(again.statusCode()).isEqualTo(200);
            assertThat(TestHost.text(again)).isEqualTo("again");
            assertThat(h.host().pool().compiledCount()).isEqualTo(1);
        }
    }
}
