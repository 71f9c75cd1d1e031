package dev.kiln.host.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a test class's {@code main} in a JVM of its own, for options that only a start can set. */
final class ChildJvm {
    record Run(int exit, String out, String err) {}

    private ChildJvm() {}

    /**
     * Runs {@code main} on this JVM's java and test class path with {@code options}, to its end.
     */
    static Run run(Class<?> main, String... options) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of(options));
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(main.getName());
        Process p = new ProcessBuilder(command).start();
        p.getOutputStream().close();
        var out = p.getInputStream();
        var err = p.getErrorStream();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("the child JVM ended").isTrue();
        return new Run(
                p.exitValue(),
                new String(out.readAllBytes(), StandardCharsets.UTF_8),
                new String(err.readAllBytes(), StandardCharsets.UTF_8));
    }
}
