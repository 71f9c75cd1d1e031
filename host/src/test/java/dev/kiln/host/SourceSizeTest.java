package dev.kiln.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The code-health rule of issue 14: no main source file of any module is over {@value #MAX_LINES}
 * lines. A file that outgrows it is split by job, not let through by raising the limit.
 */
class SourceSizeTest {
    static final int MAX_LINES = 600;

    /** The repository, seen from the host module's directory (where its tests run). */
    static final Path REPOSITORY = Path.of("..");

    /** Directories that hold no sources of ours. */
    static final Set<String> SKIPPED = Set.of(".git", "target", "node_modules", ".mirror");

    @Test
    void noMainSourceFileIsOverTheLimit() throws IOException {
        List<String> over = new ArrayList<>();
        Set<String> modules = new TreeSet<>();
        for (Path f : mainSources()) {
            Path rel = REPOSITORY.relativize(f);
            modules.add(moduleOf(rel));
            long lines;
            try (Stream<String> s = Files.lines(f)) {
                lines = s.count();
            }
            if (lines > MAX_LINES) {
                over.add(rel + " (" + lines + " lines)");
            }
        }
        // Seen from here, so the rule cannot pass by finding nothing.
        assertThat(modules).contains("host", "wasm-abi", "conformance", "perf", "client");
        assertThat(over)
                .as(
                        "main source files over %d lines: split each by job (small classes with"
                                + " one job), do not raise the limit",
                        MAX_LINES)
                .isEmpty();
    }

    /** The module directory of a source path: what comes before its {@code src}. */
    private static String moduleOf(Path rel) {
        for (int i = 1; i < rel.getNameCount(); i++) {
            if (rel.getName(i).toString().equals("src")) {
                return rel.subpath(0, i).toString().replace('\\', '/');
            }
        }
        return rel.toString();
    }

    private static List<Path> mainSources() throws IOException {
        List<Path> out = new ArrayList<>();
        Files.walkFileTree(
                REPOSITORY,
                new java.nio.file.SimpleFileVisitor<>() {
                    @Override
                    public java.nio.file.FileVisitResult preVisitDirectory(
                            Path dir, java.nio.file.attribute.BasicFileAttributes attrs) {
                        Path name = dir.getFileName();
                        return name != null && SKIPPED.contains(name.toString())
                                ? java.nio.file.FileVisitResult.SKIP_SUBTREE
                                : java.nio.file.FileVisitResult.CONTINUE;
                    }

                    @Override
                    public java.nio.file.FileVisitResult visitFile(
                            Path file, java.nio.file.attribute.BasicFileAttributes attrs) {
                        String p = file.toString().replace('\\', '/');
                        if (p.endsWith(".java") && p.contains("/src/main/java/")) {
                            out.add(file);
                        }
                        return java.nio.file.FileVisitResult.CONTINUE;
                    }
                });
        return out;
    }
}
