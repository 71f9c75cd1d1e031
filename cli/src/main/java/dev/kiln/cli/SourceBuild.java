package dev.kiln.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
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
import java.util.Optional;

/**
 * {@code kiln deploy s/f handler.js} and {@code handler.py}: builds one source file into a Kiln-ABI
 * module with Kiln's runtime for its language (guest-sdks/js/runtime, guest-sdks/python/runtime,
 * packaged in the jar with the {@code kiln new} templates). The runtime's files are unpacked once
 * per runtime version into the cache, whose build.sh compiles the engine once and then links each
 * function's source (docs/adr/0049, 0050).
 */
final class SourceBuild {
    /** A language built from one source file. */
    record Language(
            String displayName,
            String template,
            String cacheVariable,
            List<String> extensions,
            List<String> runtimeFiles) {
        static final Language JAVASCRIPT =
                new Language(
                        "JavaScript",
                        "js",
                        "KILN_JS_CACHE",
                        List.of(".js", ".mjs"),
                        List.of("build.sh", "kiln_js.c", "prelude.js", "quickjs-wasi.patch"));
        static final Language PYTHON =
                new Language(
                        "Python",
                        "python",
                        "KILN_PYTHON_CACHE",
                        List.of(".py"),
                        List.of(
                                "build.sh",
                                "kiln_python.c",
                                "kiln_wasi.c",
                                "kiln.py",
                                "stdlib_zip.py",
                                "cpython-wasi.patch"));
        static final List<Language> ALL = List.of(JAVASCRIPT, PYTHON);

        /** A single source file of this language (what {@code kiln deploy} builds with it). */
        boolean matches(Path path) {
            String name = path.getFileName().toString();
            return Files.isRegularFile(path) && extensions.stream().anyMatch(name::endsWith);
        }
    }

    private final Language language;
    private final Path cacheRoot;

    SourceBuild(Language language, Path cacheRoot) {
        this.language = language;
        this.cacheRoot = cacheRoot;
    }

    /**
     * The build for {@code path}'s language, if it is a source file of one, with the cache its
     * build.sh uses too: {@code KILN_<LANG>_CACHE}, else {@code $XDG_CACHE_HOME/kiln/<lang>}, else
     * {@code ~/.cache/kiln/<lang>}.
     */
    static Optional<SourceBuild> forFile(CliContext context, Path path) {
        return Language.ALL.stream()
                .filter(l -> l.matches(path))
                .findFirst()
                .map(l -> new SourceBuild(l, cacheRoot(context, l)));
    }

    static Path cacheRoot(CliContext context, Language language) {
        if (context.env(language.cacheVariable()) != null) {
            return Path.of(context.env(language.cacheVariable()));
        }
        if (context.env("XDG_CACHE_HOME") != null) {
            return Path.of(context.env("XDG_CACHE_HOME"), "kiln", language.template());
        }
        String home =
                context.env("HOME") != null ? context.env("HOME") : System.getProperty("user.home");
        return Path.of(home, ".cache", "kiln", language.template());
    }

    /**
     * The settings a function of this language is deployed with unless flags say otherwise:
     * Python's kiln_init (CPython starting, the handler imported) runs under the function's timeout
     * and takes seconds, so its timeout is 60 s (docs/adr/0050).
     */
    Map<String, Object> defaultSettings() {
        return language.equals(Language.PYTHON) ? Map.of("timeoutMs", 60_000) : Map.of();
    }

    /** Builds {@code source} and returns the module's bytes. */
    byte[] build(Path source, PrintWriter err) throws IOException, InterruptedException {
        Path runtime = unpackRuntime();
        Path out = Files.createTempFile("kiln-" + language.template() + "-", ".wasm");
        try {
            err.println(
                    "building "
                            + source
                            + " with Kiln's "
                            + language.displayName()
                            + " runtime...");
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
                            Map.of(language.cacheVariable(), cacheRoot.toString()),
                            err);
            if (exit != 0) {
                throw new CliFailure(
                        "build_failed",
                        "the "
                                + language.displayName()
                                + " build of "
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
        String root = "/dev/kiln/host/cli/templates/" + language.template() + "/runtime/";
        Map<String, byte[]> files = new LinkedHashMap<>();
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        for (String name : language.runtimeFiles()) {
            try (InputStream in = SourceBuild.class.getResourceAsStream(root + name)) {
                if (in == null) {
                    throw new IllegalStateException(
                            "the "
                                    + language.displayName()
                                    + " runtime file "
                                    + name
                                    + " is missing from this build");
                }
                byte[] bytes = in.readAllBytes();
                files.put(name, bytes);
                sha.update(name.getBytes(StandardCharsets.UTF_8));
                sha.update(bytes);
            }
        }
        Path dir = cacheRoot.resolve("runtime-" + HexFormat.of().formatHex(sha.digest(), 0, 8));
        if (Files.isRegularFile(dir.resolve(language.runtimeFiles().getFirst()))) {
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
