package dev.kiln.host.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * {@code kiln serve} warns when its JVM lacks an option the launchers pass; {@link JvmFlags} must
 * read each one as the JVM was started, in a JVM of its own since options cannot change later.
 */
class JvmFlagsTest {

    @Test
    void readsTheLaunchersOptionsFromTheRunningJvm() throws Exception {
        assertThat(probe("-XX:+ExitOnOutOfMemoryError", "-XX:-DontCompileHugeMethods"))
                .isEqualTo("exitsOnOutOfMemory=true compilesHugeMethods=true");
    }

    @Test
    void hotSpotsDefaultsReadAsMissing() throws Exception {
        assertThat(probe()).isEqualTo("exitsOnOutOfMemory=false compilesHugeMethods=false");
    }

    private static String probe(String... options) throws Exception {
        ChildJvm.Run run = ChildJvm.run(JvmFlagsProbe.class, options);
        assertThat(run.exit()).as(run.err()).isZero();
        return run.out().strip();
    }
}
