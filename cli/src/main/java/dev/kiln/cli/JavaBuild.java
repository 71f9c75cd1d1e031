package dev.kiln.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code kiln deploy s/f Handler.java}: builds Java sources into a wasi-cgi function with TeaVM and
 * Kiln's Java SDK (guest-sdks/java/runtime, packaged in the jar with the {@code kiln new}
 * templates). The runtime's build.sh fetches TeaVM through Maven once and caches it; the result is
 * a zip whose kiln.json chooses the wasi-cgi ABI (docs/adr/0051).
 */
final class JavaBuild {
    /** The runtime's files, as guest-sdks/java/scaffold.txt names them. */
    static final List<String> RUNTIME_FILES =
            List.of(
                    "build.sh",
                    "pom.xml",
                    "tool/KilnJavaBuild.java",
                    "teavm-call-site-locations.patch",
                    "sdk/dev/kiln/guest/Context.java",
                    "sdk/dev/kiln/guest/KilnRuntime.java",
                    "sdk/dev/kiln/guest/Response.java",
                    "sdk/dev/kiln/guest/StreamRequestHandler.java",
                    "sdk/dev/kiln/guest/Wasi.java");

    private static final String ROOT = "/dev/kiln/host/cli/templates/java/runtime/";

    private final Path cacheRoot;

    JavaBuild(Path cacheRoot) {
        this.cacheRoot = cacheRoot;
    }

    /**
     * The cache build.sh uses too: {@code KILN_JAVA_CACHE}, else {@code $XDG_CACHE_HOME/kiln/java},
     * else {@code ~/.cache/kiln/java}.
     */
    static JavaBuild from(CliContext context) {
        return new JavaBuild(RuntimeFiles.cacheRoot(context, "KILN_JAVA_CACHE", "java"));
    }

    /** A single Java source file (what {@code kiln deploy} builds with this). */
    static boolean isJava(Path path) {
        return Files.isRegularFile(path) && path.getFileName().toString().endsWith(".java");
    }

    /**
     * A directory without kiln.json holding Java sources the Maven way ({@code src/main/java}):
     * built like a single file, from all of them.
     */
    static boolean isJavaProject(Path dir) {
        return Files.isDirectory(dir.resolve("src/main/java"))
                && !Files.exists(dir.resolve(Project.MANIFEST));
    }

    /** Builds {@code source} (a .java file or a directory of them) and returns the zip's bytes. */
    byte[] build(Path source, PrintWriter err) throws IOException, InterruptedException {
        Path runtime = RuntimeFiles.unpack(ROOT, RUNTIME_FILES, cacheRoot);
        Path dir = Files.createTempDirectory("kiln-java-");
        Path out = dir.resolve("function.zip");
        try {
            BuildProcess.build(
                    "Java",
                    "TeaVM and Kiln's Java SDK",
                    source,
                    List.of(
                            "bash",
                            runtime.resolve("build.sh").toString(),
                            out.toString(),
                            source.toAbsolutePath().toString()),
                    Files.isDirectory(source)
                            ? source.toAbsolutePath()
                            : source.toAbsolutePath().getParent(),
                    Map.of("KILN_JAVA_CACHE", cacheRoot.toString()),
                    err);
            return Files.readAllBytes(out);
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(dir);
        }
    }
}
