package dev.kiln.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A function project made by {@code kiln new}: a directory with {@code build.sh} and {@code
 * kiln.json}, whose {@code module} names the file build.sh writes and whose other fields are the
 * function's settings (the same names as an upload's kiln.json, so the settings travel with the
 * code; docs/adr/0044).
 */
record Project(Path dir, Path module, Map<String, Object> settings) {
    static final String MANIFEST = "kiln.json";
    static final String BUILD = "build.sh";

    /** Reads {@code dir/kiln.json}. */
    static Project open(Path dir) {
        Path manifest = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(manifest)) {
            throw new CliFailure(
                    "not_a_project",
                    dir
                            + " has no "
                            + MANIFEST
                            + " (made by 'kiln new'); deploy a module file instead: kiln deploy"
                            + " s/f path/to/module.wasm");
        }
        Map<String, Object> fields;
        try {
            fields =
                    Output.JSON.readValue(
                            manifest.toFile(),
                            new TypeReference<LinkedHashMap<String, Object>>() {});
        } catch (IOException e) {
            throw new CliFailure(
                    "bad_project", manifest + " is not a JSON object: " + e.getMessage());
        }
        Object module = fields.remove("module");
        if (!(module instanceof String path) || path.isBlank()) {
            throw new CliFailure(
                    "bad_project",
                    manifest + " must name the built module: {\"module\": \"build/name.wasm\"}");
        }
        Path resolved = dir.resolve(path).normalize();
        if (!resolved.startsWith(dir.normalize())) {
            throw new CliFailure("bad_project", manifest + ": module must be inside the project");
        }
        return new Project(dir, resolved, fields);
    }

    /**
     * Runs {@code build.sh} (when there is one) in the project, its output going to {@code err}
     * line by line as it comes, so a long toolchain install shows its progress.
     */
    void build(PrintWriter err) throws IOException, InterruptedException {
        if (!Files.isRegularFile(dir.resolve(BUILD))) {
            return;
        }
        err.println("building " + dir + " (./" + BUILD + ")...");
        err.flush();
        long started = System.nanoTime();
        int exit = BuildProcess.run(List.of("bash", BUILD), dir, Map.of(), err);
        if (exit != 0) {
            throw new CliFailure(
                    "build_failed",
                    "./"
                            + BUILD
                            + " in "
                            + dir
                            + " exited with "
                            + exit
                            + " (its output is above)");
        }
        err.printf("built in %.1f s%n", (System.nanoTime() - started) / 1e9);
        err.flush();
    }

    /** The built module's bytes. */
    byte[] moduleBytes() throws IOException {
        if (!Files.isRegularFile(module)) {
            throw new CliFailure(
                    "build_failed",
                    "no module at "
                            + module
                            + (Files.isRegularFile(dir.resolve(BUILD))
                                    ? " after ./" + BUILD
                                    : " (and no " + BUILD + " to build it)"));
        }
        return Files.readAllBytes(module);
    }
}
