package dev.kiln.conformance;

import com.dylibso.chicory.wabt.Wat2Wasm;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToLongFunction;
import java.util.zip.GZIPInputStream;

/**
 * Module files of a case: {@code .wat} (compiled with a pure-Java wat2wasm), {@code .wasm}, {@code
 * .hex} (raw bytes for malformed modules), or {@code .gen.json} (generated, see {@link
 * ModuleGenerator}).
 */
final class ModuleFiles {
    /** The names a case's own module may have, in the order they are looked for. */
    static final List<String> DEFAULT_NAMES =
            List.of("module.wat", "module.wasm", "module.hex", "module.gen.json");

    /** Shared modules live in {@code <cases>/_shared/} and are named {@code shared:<file>}. */
    static final String SHARED_PREFIX = "shared:";

    static final String SHARED_DIR = "_shared";

    // WAT compiles take tens of milliseconds each; shared modules are used by many cases.
    private static final Map<Path, byte[]> COMPILED = new ConcurrentHashMap<>();

    private ModuleFiles() {}

    /** The case's own module file, or null when it has none. */
    static Path find(Path caseDir) {
        for (String name : DEFAULT_NAMES) {
            Path p = caseDir.resolve(name);
            if (Files.exists(p)) {
                return p;
            }
        }
        return null;
    }

    /** Resolves a module reference: {@code shared:<file>} or a file in the case folder. */
    static Path resolve(String ref, Path caseDir, Path casesRoot) {
        Path p =
                ref.startsWith(SHARED_PREFIX)
                        ? casesRoot
                                .resolve(SHARED_DIR)
                                .resolve(ref.substring(SHARED_PREFIX.length()))
                        : caseDir.resolve(ref);
        if (!Files.exists(p)) {
            throw new IllegalArgumentException("module file " + ref + " does not exist");
        }
        return p;
    }

    static byte[] load(
            Path file, ToLongFunction<com.fasterxml.jackson.databind.JsonNode> quantity) {
        String name = file.getFileName().toString();
        try {
            if (name.endsWith(".gen.json")) {
                return ModuleGenerator.generate(
                        CaseLoader.JSON.readTree(Files.readAllBytes(file)), quantity);
            }
            if (name.endsWith(".wat")) {
                return COMPILED.computeIfAbsent(
                        file.toAbsolutePath().normalize(),
                        p -> {
                            try {
                                return Wat2Wasm.parse(Files.readString(p, StandardCharsets.UTF_8));
                            } catch (IOException e) {
                                throw new UncheckedIOException(e);
                            }
                        });
            }
            if (name.endsWith(".hex")) {
                String hex = Files.readString(file).replaceAll(";;[^\\n]*", "");
                return HexFormat.of().parseHex(hex.replaceAll("\\s+", ""));
            }
            if (name.endsWith(".wasm.gz")) {
                // Large prebuilt modules (the 11.5 MB Python runtime) are committed gzip'd.
                return COMPILED.computeIfAbsent(
                        file.toAbsolutePath().normalize(),
                        p -> {
                            try (InputStream in =
                                    new GZIPInputStream(Files.newInputStream(p), 1 << 16)) {
                                return in.readAllBytes();
                            } catch (IOException e) {
                                throw new UncheckedIOException(e);
                            }
                        });
            }
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
