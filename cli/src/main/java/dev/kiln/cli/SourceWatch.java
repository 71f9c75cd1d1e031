package dev.kiln.cli;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What {@code kiln dev} watches: a project's source files by modification time and size, polled (a
 * small tree costs microseconds to walk, and polling sees new directories and editors' rename dance
 * without the per-directory registration a WatchService needs). Build output is skipped: {@code
 * target/}, {@code build/}, {@code node_modules/}, {@code .git/} and the module itself.
 */
final class SourceWatch {
    static final Set<String> SKIPPED_DIRECTORIES =
            Set.of("target", "build", "node_modules", ".git");

    private final Path dir;
    private final Path module;

    SourceWatch(Path dir, Path module) {
        this.dir = dir;
        this.module = module.toAbsolutePath().normalize();
    }

    /** A file's modification time and size. */
    record Stamp(long modifiedMillis, long size) {}

    Map<Path, Stamp> snapshot() throws IOException {
        Map<Path, Stamp> out = new HashMap<>();
        Files.walkFileTree(
                dir,
                new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                        return !d.equals(dir)
                                        && SKIPPED_DIRECTORIES.contains(
                                                Objects.toString(d.getFileName()))
                                ? FileVisitResult.SKIP_SUBTREE
                                : FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
                        if (attrs.isRegularFile()
                                && !f.toAbsolutePath().normalize().equals(module)) {
                            out.put(
                                    dir.relativize(f),
                                    new Stamp(attrs.lastModifiedTime().toMillis(), attrs.size()));
                        }
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFileFailed(Path f, IOException e) {
                        // A file deleted while walking: the next snapshot sees it gone.
                        return FileVisitResult.CONTINUE;
                    }
                });
        return out;
    }

    /** One file that differs between two snapshots (for the message), or null when none does. */
    static Path changed(Map<Path, Stamp> before, Map<Path, Stamp> after) {
        for (var e : after.entrySet()) {
            if (!e.getValue().equals(before.get(e.getKey()))) {
                return e.getKey();
            }
        }
        for (Path p : before.keySet()) {
            if (!after.containsKey(p)) {
                return p;
            }
        }
        return null;
    }
}
