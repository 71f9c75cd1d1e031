package dev.kiln.conformance;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.Optional;

/**
 * The case folders packaged with the runner: the build copies {@code conformance/cases} into the
 * jar (or {@code target/classes}) under {@value #FOLDER}, so the runner needs no checkout and no
 * particular working directory.
 */
final class BundledCases {
    static final String FOLDER = "kiln-conformance-cases";

    /** Open for the life of the process: the loaded cases read their files from it lazily. */
    private static FileSystem jar;

    private BundledCases() {}

    /** The bundled cases' root, or empty when this runner was built without them. */
    static synchronized Optional<Path> root() throws IOException {
        CodeSource source = BundledCases.class.getProtectionDomain().getCodeSource();
        if (source == null) {
            return Optional.empty();
        }
        Path location;
        try {
            location = Path.of(source.getLocation().toURI());
        } catch (URISyntaxException | IllegalArgumentException e) {
            return Optional.empty();
        }
        Path root;
        if (Files.isDirectory(location)) { // classes directory: tests, IDEs
            root = location.resolve(FOLDER);
        } else {
            if (jar == null) {
                jar = FileSystems.newFileSystem(location);
            }
            root = jar.getPath("/" + FOLDER);
        }
        return Files.isDirectory(root) ? Optional.of(root) : Optional.empty();
    }
}
