package dev.kiln.perf.peers;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What peers need to start: how to launch Java servers, where workerd and the Kiln jar are, a
 * scratch directory, ports, and the modules every target serves.
 *
 * @param java the {@code java} executable and the JVM options every Java server gets
 * @param classpath the classpath holding Kiln and the bare Undertow server
 * @param kilnJar Kiln's jar ({@code host/target/kiln-host.jar}); null to run Kiln from {@code
 *     classpath}
 * @param workerd the workerd binary, or null when it is not installed
 * @param workerdMissing why workerd is null, for the skip message
 * @param echoWasm the kiln-ABI echo module (Kiln and workerd serve the same bytes)
 * @param echoCgiWasm the wasi-cgi echo module
 */
record PeerContext(
        List<String> java,
        String classpath,
        Path kilnJar,
        Path workerd,
        String workerdMissing,
        Path workDir,
        Ports ports,
        byte[] echoWasm,
        byte[] echoCgiWasm,
        PrintStream log) {

    /** {@code java [options] -cp classpath mainClass args...}. */
    List<String> javaCommand(String mainClass, List<String> args) {
        List<String> command = new ArrayList<>(java);
        command.add("-cp");
        command.add(classpath);
        command.add(mainClass);
        command.addAll(args);
        return command;
    }
}
