package dev.kiln.host.sandbox;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes the compiled code an earlier Chicory version or rewrite format left beside the cache
 * directory in use: no Kiln of this version reads it again, and each such change would otherwise
 * leave a copy of every function's code on disk. The data directory's lock means no other Kiln is
 * using it.
 */
final class SupersededCode {
    private static final Logger log = LoggerFactory.getLogger(SupersededCode.class);

    /** What every cache directory's name starts with ({@code chicory-<version><format>}). */
    static final String PREFIX = "chicory-";

    private SupersededCode() {}

    /** Deletes {@code current}'s superseded siblings on a thread of its own, if there are any. */
    static void pruneInBackground(Path current) {
        List<Path> dirs = superseded(current);
        if (dirs.isEmpty()) {
            return;
        }
        Thread t = new Thread(() -> delete(dirs), "kiln-code-prune");
        t.setDaemon(true);
        t.start();
    }

    /**
     * Deletes every directory beside {@code current} whose name starts with {@link #PREFIX}; logs
     * what it removed, and what it could not (left for the next start).
     *
     * @return how many files it deleted
     */
    static long prune(Path current) {
        return delete(superseded(current));
    }

    private static long delete(List<Path> dirs) {
        long files = 0;
        for (Path dir : dirs) {
            long bytes = 0;
            long deleted = 0;
            try (Stream<Path> tree = Files.walk(dir)) {
                for (Path p : tree.sorted(Comparator.reverseOrder()).toList()) {
                    if (Files.isRegularFile(p)) {
                        bytes += Files.size(p);
                        deleted++;
                    }
                    Files.delete(p);
                }
                log.info(
                        "deleted compiled code of an earlier format: {} ({} files, {} KiB)",
                        dir.getFileName(),
                        deleted,
                        bytes / 1024);
            } catch (IOException | UncheckedIOException e) {
                log.warn(
                        "could not delete compiled code of an earlier format in {}: {}",
                        dir.getFileName(),
                        e.getMessage());
            }
            files += deleted;
        }
        return files;
    }

    private static List<Path> superseded(Path current) {
        List<Path> dirs = new ArrayList<>();
        Path parent = current.toAbsolutePath().getParent();
        if (parent == null) {
            return dirs;
        }
        try (DirectoryStream<Path> siblings = Files.newDirectoryStream(parent, PREFIX + "*")) {
            for (Path p : siblings) {
                if (Files.isDirectory(p)
                        && !Files.isSymbolicLink(p)
                        && !p.getFileName().equals(current.getFileName())) {
                    dirs.add(p);
                }
            }
        } catch (IOException e) {
            // Nothing listed, nothing deleted: only disk space is at stake.
        }
        return dirs;
    }
}
