package dev.kiln.host.invoke;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.abi.EffectLimits;
import dev.kiln.host.sandbox.InvocationLimits;
import dev.kiln.host.sandbox.ModuleLimits;
import dev.kiln.host.sandbox.ResetStrategy;
import dev.kiln.host.testing.TestHost;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The start-time warm-up on a real host: it leaves no instance, no code in memory and no file in
 * the compiled-code cache behind, and a user's function made of the very same bytes still serves
 * across restarts (its code compiled again).
 */
class StartWarmupTest {
    @TempDir Path data;

    private long cacheFiles() {
        Path compiled = data.resolve("compiled");
        if (!Files.exists(compiled)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(compiled)) {
            return files.filter(Files::isRegularFile).count();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void theWarmUpLeavesNothingBehindAndAFunctionOfTheSameBytesServesAcrossARestart() {
        try (TestHost h = TestHost.start(data)) {
            assertThat(h.host().pool().liveInstances()).isZero();
            assertThat(h.host().pool().compiledCount()).isZero();
            assertThat(cacheFiles()).isZero();
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

    @Test
    void theWarmUpRunsTheEchoItCarries() {
        // A start logs a failed warm-up and goes on: the warm-up itself must be seen to succeed.
        assertThat(
                        StartWarmup.run(
                                ResetStrategy.COPY_ON_WRITE,
                                ModuleLimits.DEFAULTS,
                                new InvocationLimits(EffectLimits.DEFAULTS, 1 << 20)))
                .isTrue();
    }
}
