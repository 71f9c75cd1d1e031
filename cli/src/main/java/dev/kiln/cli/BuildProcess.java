package dev.kiln.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Runs a build script, its output going to the user line by line as it comes. */
final class BuildProcess {
    private BuildProcess() {}

    /**
     * Runs a language's build of {@code source} ({@code toolchain} names what builds it), telling
     * the user how long it took; a failed build is the stable error {@code build_failed}.
     */
    static void build(
            String language,
            String toolchain,
            Path source,
            List<String> command,
            Path dir,
            Map<String, String> extraEnv,
            PrintWriter err)
            throws IOException, InterruptedException {
        err.println("building " + source + " with " + toolchain + "...");
        err.flush();
        long started = System.nanoTime();
        int exit = run(command, dir, extraEnv, err);
        if (exit != 0) {
            throw new CliFailure(
                    "build_failed",
                    "the "
                            + language
                            + " build of "
                            + source
                            + " exited with "
                            + exit
                            + " (its output is above)");
        }
        err.printf("built in %.1f s%n", (System.nanoTime() - started) / 1e9);
        err.flush();
    }

    /**
     * Runs {@code command} in {@code dir} with {@code extraEnv} added, echoing each output line to
     * {@code err} as {@code " | line"}, so a long toolchain install shows its progress.
     *
     * @return the exit code
     */
    static int run(List<String> command, Path dir, Map<String, String> extraEnv, PrintWriter err)
            throws IOException, InterruptedException {
        ProcessBuilder pb =
                new ProcessBuilder(command)
                        .directory(dir.toFile())
                        .redirectErrorStream(true)
                        .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        pb.environment().putAll(extraEnv);
        Process p = pb.start();
        try (var lines =
                new BufferedReader(
                        new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = lines.readLine()) != null; ) {
                err.println("  | " + line);
                err.flush();
            }
        } finally {
            if (p.isAlive()) {
                p.destroy();
            }
        }
        return p.waitFor();
    }
}
