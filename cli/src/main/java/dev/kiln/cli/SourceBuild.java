package dev.kiln.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code kiln deploy s/f handler.js} and {@code handler.py}: builds one source file into a Kiln-ABI
 * module with Kiln's runtime for its language (guest-sdks/js/runtime, guest-sdks/python/runtime,
 * packaged in the jar with the {@code kiln new} templates). The runtime's files are unpacked once
 * per runtime version into the cache ({@link RuntimeFiles}), whose build.sh compiles the engine
 * once and then links each function's source (docs/adr/0049, 0050). Java builds to a wasi-cgi zip,
 * from a file or a directory, and has its own {@link JavaBuild}.
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
                .map(
                        l ->
                                new SourceBuild(
                                        l,
                                        RuntimeFiles.cacheRoot(
                                                context, l.cacheVariable(), l.template())));
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
        Path runtime =
                RuntimeFiles.unpack(
                        "/dev/kiln/host/cli/templates/" + language.template() + "/runtime/",
                        language.runtimeFiles(),
                        cacheRoot);
        Path out = Files.createTempFile("kiln-" + language.template() + "-", ".wasm");
        try {
            BuildProcess.build(
                    language.displayName(),
                    "Kiln's " + language.displayName() + " runtime",
                    source,
                    List.of(
                            "bash",
                            runtime.resolve("build.sh").toString(),
                            source.toAbsolutePath().toString(),
                            out.toString()),
                    source.toAbsolutePath().getParent(),
                    Map.of(language.cacheVariable(), cacheRoot.toString()),
                    err);
            return Files.readAllBytes(out);
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
