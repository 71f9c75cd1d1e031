package dev.kiln.sdk.e2e;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Runs an SDK's {@code build.sh} (which installs its toolchain when missing) and finds the built
 * modules. Each SDK is built once per test JVM; a failed build fails every test that needs it, with
 * the script's output, so a missing toolchain in CI is loud.
 */
final class SdkBuild {
    /** guest-sdks/, seen from this module's directory (guest-sdks/e2e). */
    static final Path SDKS = Path.of("..").toAbsolutePath().normalize();

    static final Duration BUILD_TIMEOUT = Duration.ofMinutes(20);

    private static final Map<String, Duration> BUILT = new ConcurrentHashMap<>();

    private SdkBuild() {}

    /** Builds {@code guest-sdks/<sdk>} with its build.sh unless this JVM already did. */
    static synchronized void ensureBuilt(String sdk) {
        if (!BUILT.containsKey(sdk)) {
            long start = System.nanoTime();
            run(SDKS.resolve(sdk), "build-" + sdk, List.of("./build.sh"));
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            BUILT.put(sdk, took);
            System.out.printf("guest-sdks/%s/build.sh took %d s%n", sdk, took.toSeconds());
        }
    }

    /**
     * Runs {@code command} in {@code dir}; output goes to target/build-logs/{@code logName}.log.
     * Fails the test with the end of that log on a non-zero exit or a timeout; returns the output.
     */
    static String run(Path dir, String logName, List<String> command) {
        Path log = Path.of("target", "build-logs", logName + ".log").toAbsolutePath();
        try {
            Files.createDirectories(log.getParent());
            Process p =
                    new ProcessBuilder(command)
                            .directory(dir.toFile())
                            .redirectErrorStream(true)
                            .redirectOutput(log.toFile())
                            .start();
            if (!p.waitFor(BUILD_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail(
                        "%s in %s did not finish in %s; output:%n%s",
                        command, dir, BUILD_TIMEOUT, tail(log));
            }
            if (p.exitValue() != 0) {
                fail(
                        "%s in %s failed with exit code %d (a toolchain missing and not"
                                + " installable?); output:%n%s",
                        command, dir, p.exitValue(), tail(log));
            }
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AssertionError("could not run " + command + " in " + dir, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static byte[] read(Path module) {
        try {
            return Files.readAllBytes(module);
        } catch (IOException e) {
            throw new AssertionError("no built module at " + module, e);
        }
    }

    private static String tail(Path log) throws IOException {
        String text = Files.readString(log, StandardCharsets.UTF_8);
        return text.length() <= 6000 ? text : "…" + text.substring(text.length() - 6000);
    }
}
