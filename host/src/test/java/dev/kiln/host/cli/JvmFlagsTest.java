package dev.kiln.host.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of(options));
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(JvmFlagsProbe.class.getName());
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the probe JVM ended").isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out.strip();
    }
}
