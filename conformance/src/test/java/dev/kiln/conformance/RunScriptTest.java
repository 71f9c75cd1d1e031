package dev.kiln.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code conformance/run} picks a JDK of 21 or newer as {@code ./kiln} does, even when {@code
 * JAVA_HOME} and the {@code java} on PATH are older (issue 18's friction list); runs after {@code
 * package}, the jar being the script's.
 */
class RunScriptTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @TempDir Path work;

    /** A JDK older than 21 on this machine, if there is one (Debian's 17 often is). */
    static Optional<Path> olderJdk() throws IOException {
        Path jvms = Path.of("/usr/lib/jvm");
        if (!Files.isDirectory(jvms)) {
            return Optional.empty();
        }
        try (Stream<Path> dirs = Files.list(jvms)) {
            return dirs.filter(d -> Files.isExecutable(d.resolve("bin/java")))
                    .filter(d -> majorVersion(d) > 0 && majorVersion(d) < 21)
                    .findFirst();
        }
    }

    private static int majorVersion(Path jdk) {
        try {
            for (String line : Files.readAllLines(jdk.resolve("release"))) {
                if (line.startsWith("JAVA_VERSION=")) {
                    String v = line.substring("JAVA_VERSION=".length()).replace("\"", "");
                    return Integer.parseInt(v.split("[.+-]", -1)[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    @Test
    void theRunnerStartsWithANewerJdkThanJavaHomeNames() throws Exception {
        Optional<Path> old = olderJdk();
        assumeTrue(old.isPresent(), "no JDK older than 21 on this machine to start from");
        var pb =
                new ProcessBuilder(
                                ROOT.resolve("conformance/run").toString(),
                                "--list",
                                "--filter",
                                "abi/*")
                        .directory(work.toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(work.resolve("out").toFile());
        pb.environment().put("JAVA_HOME", old.get().toString());
        pb.environment().put("PATH", old.get().resolve("bin") + ":" + pb.environment().get("PATH"));
        Process p = pb.start();
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
        String out = Files.readString(work.resolve("out"));
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("abi/").doesNotContain("UnsupportedClassVersionError");
    }
}
