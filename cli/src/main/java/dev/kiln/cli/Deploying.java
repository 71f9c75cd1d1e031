package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.client.KilnClient;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** What {@code kiln deploy} and each round of {@code kiln dev} do: build if needed, upload. */
final class Deploying {
    private Deploying() {}

    /** A finished deployment: the API's function and how long the upload took. */
    record Result(JsonNode function, long bytes, long uploadNanos) {
        int version() {
            return function.path("version").path("number").asInt();
        }
    }

    /**
     * Deploys {@code path}: a module or zip file as it is, or a project directory built with its
     * build.sh first, or a JavaScript or Python file built with Kiln's runtime for it ({@link
     * SourceBuild}), or a Java file (or a directory with src/main/java and no kiln.json) built with
     * TeaVM ({@link JavaBuild}).
     */
    static Result deploy(
            KilnClient client,
            FunctionRef fn,
            Path path,
            SettingsOptions flags,
            CliContext context,
            PrintWriter err)
            throws IOException, InterruptedException {
        byte[] code;
        Map<String, Object> settings;
        if (JavaBuild.isJavaProject(path)) {
            code = JavaBuild.from(context).build(path, err);
            settings = flags.over(Map.of());
        } else if (Files.isDirectory(path)) {
            Project project = Project.open(path);
            project.build(err);
            code = project.moduleBytes();
            settings = flags.over(project.settings());
        } else if (SourceBuild.forFile(context, path).isPresent()) {
            SourceBuild source = SourceBuild.forFile(context, path).orElseThrow();
            code = source.build(path, err);
            settings = flags.over(source.defaultSettings());
        } else if (JavaBuild.isJava(path)) {
            code = JavaBuild.from(context).build(path, err);
            settings = flags.over(Map.of());
        } else if (Files.isRegularFile(path)) {
            code = Files.readAllBytes(path);
            settings = flags.over(Map.of());
        } else {
            throw new CliFailure("not_found", "no file or directory " + path);
        }
        long started = System.nanoTime();
        JsonNode function;
        try {
            function = client.createFunction(fn.service(), fn.function(), code, settings);
        } catch (IllegalArgumentException e) {
            // The client refuses bytes that are neither a module nor a zip before sending them.
            throw new CliFailure("invalid_module", path + ": " + e.getMessage());
        }
        return new Result(function, code.length, System.nanoTime() - started);
    }

    /** The human summary of a deployment. */
    static void describe(PrintWriter out, String endpoint, FunctionRef fn, Result r) {
        out.printf(
                "Deployed %s: version %d (%s, sha256 %s) in %.2f s%n",
                fn,
                r.version(),
                ProgressLine.size(r.bytes()),
                r.function().path("version").path("sha256").asText("").substring(0, 12),
                r.uploadNanos() / 1e9);
        out.printf("  invoke: kiln invoke %s --data '{}'%n", fn);
        out.printf("  http:   %s%s%n", endpoint, r.function().path("urls").path("http").asText());
        out.flush();
    }
}
