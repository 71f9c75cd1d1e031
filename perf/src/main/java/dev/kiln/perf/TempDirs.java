package dev.kiln.perf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Removes the scratch directories benchmarks and probes create for their hosts. */
public final class TempDirs {
    private TempDirs() {}

    /** Deletes {@code dir} and everything under it; a directory that is already gone is fine. */
    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            // Deepest first, so every directory is empty when its turn comes.
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
