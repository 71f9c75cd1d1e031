package dev.kiln.host.registry;

import dev.kiln.host.core.Sha256;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.stream.Stream;

/** Module bytes as files named by their sha-256, written atomically (temp, fsync, rename). */
public final class BlobStore {
    private static final String TEMP_SUFFIX = ".tmp";
    private final Path root;

    public BlobStore(Path root) throws IOException {
        this.root = Files.createDirectories(root);
    }

    Path pathOf(String sha) {
        return root.resolve(sha.substring(0, 2)).resolve(sha + ".wasm");
    }

    /** Stores {@code bytes} under {@code sha} unless an intact copy is already there. */
    public void put(String sha, byte[] bytes) throws IOException {
        Path target = pathOf(sha);
        if (Files.exists(target) && sha.equals(Sha256.hex(Files.readAllBytes(target)))) {
            return;
        }
        Path dir = Files.createDirectories(target.getParent());
        Path tmp = Files.createTempFile(dir, sha.substring(0, 8) + "-", TEMP_SUFFIX);
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.wrap(bytes);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            Files.move(
                    tmp,
                    target,
                    StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
            fsyncDirectory(dir);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The bytes stored under {@code sha}, or {@code null} when missing. */
    public byte[] get(String sha) throws IOException {
        try {
            return Files.readAllBytes(pathOf(sha));
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    public void delete(String sha) throws IOException {
        Files.deleteIfExists(pathOf(sha));
    }

    /**
     * Deletes temp files and blobs no version references: leftovers of a crash between writing a
     * blob and committing its metadata. Returns how many files went.
     */
    int sweep(Set<String> referenced) throws IOException {
        int removed = 0;
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                String name = p.getFileName().toString();
                boolean orphan =
                        name.endsWith(TEMP_SUFFIX)
                                || (name.endsWith(".wasm")
                                        && !referenced.contains(
                                                name.substring(0, name.length() - 5)));
                if (orphan) {
                    Files.deleteIfExists(p);
                    removed++;
                }
            }
        }
        return removed;
    }

    private static void fsyncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some file systems cannot open directories; the rename is still atomic there.
        }
    }
}
