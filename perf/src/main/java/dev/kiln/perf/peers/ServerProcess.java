package dev.kiln.perf.peers;

import dev.kiln.perf.KilnJvm;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A peer's server process: started with its output in a log file, stopped with its children. */
public final class ServerProcess implements AutoCloseable {

    /**
     * This JVM's {@code java} with the options Kiln's launcher adds (those of {@link KilnJvm}: the
     * native heap trimmed on JDK 21.0.1+, the compiler memory limit and two more on JDK 23+) and
     * {@code extraOpts} (whitespace-separated, may be null).
     */
    public static List<String> javaCommand(String extraOpts) {
        List<String> command = new java.util.ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add(KilnJvm.RECURSIVE_INLINE);
        command.add(KilnJvm.COMPILE_HUGE_METHODS);
        command.add(KilnJvm.QUIET_COMPILE_COMMANDS);
        command.add(KilnJvm.GUEST_NODE_LIMIT);
        if (KilnJvm.trimsNativeHeap(Runtime.version())) {
            command.addAll(KilnJvm.TRIM_NATIVE_HEAP);
        }
        if (Runtime.version().feature() >= 23) {
            command.add("--sun-misc-unsafe-memory-access=allow");
            command.add("--enable-native-access=ALL-UNNAMED");
            command.add(KilnJvm.GUEST_COMPILE_MEMORY_LIMIT);
        }
        if (extraOpts != null && !extraOpts.isBlank()) {
            command.addAll(java.util.Arrays.asList(extraOpts.trim().split("\\s+")));
        }
        return command;
    }

    private final String name;
    private final Process process;
    private final Path log;

    private ServerProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    public static ServerProcess start(
            String name, List<String> command, Map<String, String> env, Path workDir, Path log)
            throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile());
        pb.environment().putAll(env);
        pb.redirectErrorStream(true).redirectOutput(log.toFile());
        return new ServerProcess(name, pb.start(), log);
    }

    /** Waits until {@code port} accepts connections; fails early if the process exits. */
    public void awaitPort(int port, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException(
                        name
                                + " exited with "
                                + process.exitValue()
                                + " before listening"
                                + tail());
            }
            try (Socket s = new Socket()) {
                s.connect(
                        new InetSocketAddress(
                                InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), port),
                        200);
                return;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        throw new IOException(
                name + " did not listen on port " + port + " within " + timeout + tail());
    }

    /** The last lines of the process's output, for error messages. */
    public String tail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            List<String> last = lines.subList(Math.max(0, lines.size() - 15), lines.size());
            return last.isEmpty() ? "" : "; its output ends with:\n  " + String.join("\n  ", last);
        } catch (IOException e) {
            return "";
        }
    }

    public Path log() {
        return log;
    }

    /**
     * CPU time the server and its children have used so far (user + system), or -1 when the
     * platform does not say. Ticks of 10 ms on Linux: meaningful over runs of seconds.
     */
    public long cpuNanos() {
        long total = cpu(process.toHandle());
        if (total < 0) {
            return -1;
        }
        for (ProcessHandle child : process.descendants().toList()) {
            total += Math.max(0, cpu(child));
        }
        return total;
    }

    private static long cpu(ProcessHandle handle) {
        return handle.info().totalCpuDuration().map(Duration::toNanos).orElse(-1L);
    }

    /** The server's process id (for {@code jcmd}). */
    public long pid() {
        return process.pid();
    }

    /** Whether the server is still running. */
    public boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public void close() {
        List<ProcessHandle> children = process.descendants().toList();
        process.destroy();
        children.forEach(ProcessHandle::destroy);
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        children.forEach(ProcessHandle::destroyForcibly);
    }
}
