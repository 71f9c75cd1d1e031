package dev.kiln.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code kiln deploy s/f handler.js}: builds one JavaScript file into a Kiln-ABI module with Kiln's
 * JavaScript runtime (guest-sdks/js/runtime, packaged in the jar with the {@code kiln new}
 * templates). The runtime's files are unpacked once per runtime version into the cache, whose
 * build.sh compiles QuickJS once and then links each function's source (docs/adr/0049).
 */
final class JsBuild {
    /** The runtime's files, as guest-sdks/js/scaffold.txt names them. */
    static final List<String> RUNTIME_FILES =
            List.of("build.sh", "kiln_js.c", "prelude.js", "quickjs-wasi.patch");

    private static final String ROOT = "/dev/kiln/host/cli/templates/js/runtime/";

    private final Path cacheRoot;

    JsBuild(Path cacheRoot) {
        this.cacheRoot = cacheRoot;
    }

    /**
     * The cache build.sh uses too: {@code KILN_JS_CACHE}, else {@code $XDG_CACHE_HOME/kiln/js},
     * else {@code ~/.cache/kiln/js}.
     */
    static JsBuild from(CliContext context) {
        if (context.env("KILN_JS_CACHE") != null) {
            return new JsBuild(Path.of(context.env("KILN_JS_CACHE")));
        }
        if (context.env("XDG_CACHE_HOME") != null) {
            return new JsBuild(Path.of(context.env("XDG_CACHE_HOME"), "kiln", "js"));
        }
        String home =
                context.env("HOME") != null ? context.env("HOME") : System.getProperty("user.home");
        return new JsBuild(Path.of(home, ".cache", "kiln", "js"));
    }

    /** A single JavaScript source file (what {@code kiln deploy} builds with this). */
    static boolean isJavaScript(Path path) {
        String name = path.getFileName().toString();
        return Files.isRegularFile(path) && (name.endsWith(".js") || name.endsWith(".mjs"));
    }

    /** Builds {@code source} and returns the module's bytes. */
    byte[] build(Path source, PrintWriter err) throws IOException, InterruptedException {
        Path runtime = unpackRuntime();
        Path out = Files.createTempFile("kiln-js-", ".wasm");
        try {
            err.println("building " + source + " with Kiln's JavaScript runtime...");
            err.flush();
            long started = System.nanoTime();
            int exit =
                    BuildProcess.run(
                            List.of(
                                    "bash",
                                    runtime.resolve("build.sh").toString(),
                                    source.toAbsolutePath().toString(),
                                    out.toString()),
                            source.toAbsolutePath().getParent(),
                            Map.of("KILN_JS_CACHE", cacheRoot.toString()),
                            err);
            if (exit != 0) {
                throw new CliFailure(
                        "build_failed",
                        "the JavaScript build of "
                                + source
                                + " exited with "
                                + exit
                                + " (its output is above)");
            }
            err.printf("built in %.1f s%n", (System.nanoTime() - started) / 1e9);
            err.flush();
            return Files.readAllBytes(out);
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** The runtime's files in {@code <cache>/runtime-<hash of their contents>}. */
    Path unpackRuntime() throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        for (String name : RUNTIME_FILES) {
            try (InputStream in = JsBuild.class.getResourceAsStream(ROOT + name)) {
                if (in == null) {
                    throw new IllegalStateException(
                            "the JavaScript runtime file " + name + " is missing from this build");
                }
                byte[] bytes = in.readAllBytes();
                files.put(name, bytes);
                sha.update(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                sha.update(bytes);
            }
        }
        Path dir = cacheRoot.resolve("runtime-" + HexFormat.of().formatHex(sha.digest(), 0, 8));
        if (Files.isRegularFile(dir.resolve(RUNTIME_FILES.getFirst()))) {
            return dir;
        }
        Files.createDirectories(cacheRoot);
        // Written aside and moved into place, so a concurrent or interrupted unpack never leaves
        // a half-written runtime behind.
        Path tmp = Files.createTempDirectory(cacheRoot, ".runtime-");
        for (var e : files.entrySet()) {
            Files.write(tmp.resolve(e.getKey()), e.getValue());
        }
        try {
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
            deleteTree(tmp); // another kiln unpacked it first
        } catch (java.nio.file.DirectoryNotEmptyException e) {
            deleteTree(tmp);
        }
        return dir;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var files = Files.walk(dir)) {
            for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        }
    }
}
