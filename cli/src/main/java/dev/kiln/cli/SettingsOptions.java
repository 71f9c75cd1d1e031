package dev.kiln.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** The settings {@code kiln deploy} and {@code kiln dev} can give a version. */
final class SettingsOptions {
    @Option(names = "--abi", paramLabel = "<abi>", description = "kiln (default) or wasi-cgi.")
    String abi;

    @Option(
            names = "--handler",
            paramLabel = "<export>",
            description = "The exported handler function.")
    String handler;

    @Option(names = "--timeout-ms", paramLabel = "<ms>", description = "Invocation timeout.")
    Integer timeoutMs;

    @Option(names = "--memory-mib", paramLabel = "<MiB>", description = "Linear memory limit.")
    Integer memoryMiB;

    @Option(
            names = "--env",
            paramLabel = "K=V",
            description =
                    "Environment variable (repeatable); added to the project's kiln.json env.")
    Map<String, String> env = new LinkedHashMap<>();

    /** {@code base} (a project's kiln.json settings) with these flags over it. */
    @SuppressWarnings("unchecked")
    Map<String, Object> over(Map<String, Object> base) {
        Map<String, Object> out = new LinkedHashMap<>(base);
        putIf(out, "abi", abi);
        putIf(out, "handler", handler);
        putIf(out, "timeoutMs", timeoutMs);
        putIf(out, "memoryMiB", memoryMiB);
        if (!env.isEmpty()) {
            Map<String, Object> merged = new LinkedHashMap<>();
            if (out.get("env") instanceof Map<?, ?> old) {
                merged.putAll((Map<String, Object>) old);
            }
            merged.putAll(env);
            out.put("env", merged);
        }
        return out;
    }

    private static void putIf(Map<String, Object> out, String name, Object value) {
        if (value != null) {
            out.put(name, value);
        }
    }
}
