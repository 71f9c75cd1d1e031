package dev.kiln.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A language runtime's build files, packaged in the jar with the {@code kiln new} templates and
 * unpacked once per version of their contents into a cache directory, where their build.sh runs.
 */
final class RuntimeFiles {
    private RuntimeFiles() {}

    /**
     * The cache a runtime's build.sh uses too: {@code $<envVar>}, else {@code
     * $XDG_CACHE_HOME/kiln/<language>}, else {@code ~/.cache/kiln/<language>}.
     */
    static Path cacheRoot(CliContext context, String envVar, String language) {
        if (context.env(envVar) != null) {
            return Path.of(context.env(envVar));
        }
        if (context.env("XDG_CACHE_HOME") != null) {
            return Path.of(context.env("XDG_CACHE_HOME"), "kiln", language);
        }
        String home =
                context.env("HOME") != null ? context.env("HOME") : System.getProperty("user.home");
        return Path.of(home, ".cache", "kiln", language);
    }

    /**
     * Unpacks the resources {@code root + name} for each of {@code names} into {@code
     * <cacheRoot>/runtime-<hash of their contents>} unless they are there already; returns it.
     */
    static Path unpack(String root, List<String> names, Path cacheRoot) throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        for (String name : names) {
            try (InputStream in = RuntimeFiles.class.getResourceAsStream(root + name)) {
                if (in == null) {
                    throw new IllegalStateException(
                            "the runtime file " + root + name + " is missing from this build");
                }
                byte[] bytes = in.readAllBytes();
                files.put(name, bytes);
                sha.update(name.getBytes(StandardCharsets.UTF_8));
                sha.update(bytes);
            }
        }
        Path dir = cacheRoot.resolve("runtime-" + HexFormat.of().formatHex(sha.digest(), 0, 8));
        if (Files.isRegularFile(dir.resolve(names.getFirst()))) {
            return dir;
        }
        Files.createDirectories(cacheRoot);
        // Written aside and moved into place, so a concurrent or interrupted unpack never leaves
        // a half-written runtime behind.
        Path tmp = Files.createTempDirectory(cacheRoot, ".runtime-");
        for (var e : files.entrySet()) {
            Path target = tmp.resolve(e.getKey());
            Files.createDirectories(target.getParent());
            Files.write(target, e.getValue());
        }
        try {
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException
                | AtomicMoveNotSupportedException
                | DirectoryNotEmptyException e) {
            deleteTree(tmp); // another kiln unpacked it first
        }
        return dir;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var files = Files.walk(dir)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        }
    }
}
