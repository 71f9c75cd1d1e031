package dev.kiln.host.sandbox;

import com.dylibso.chicory.compiler.Cache;
import dev.kiln.host.core.Sha256;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Chicory's compiled-code cache kept on disk, so a restart does not recompile every function.
 * Entries are written atomically; a torn or foreign file is only ever a cache miss.
 */
final class DiskCodeCache implements Cache {
    private final Path dir;

    DiskCodeCache(Path dir) throws IOException {
        this.dir = Files.createDirectories(dir);
    }

    @Override
    public byte[] get(String key) throws IOException {
        try {
            return Files.readAllBytes(fileFor(key));
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    @Override
    public void putIfAbsent(String key, byte[] data) throws IOException {
        Path target = fileFor(key);
        if (Files.exists(target)) {
            return;
        }
        Path tmp = Files.createTempFile(dir, "put-", ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.write(java.nio.ByteBuffer.wrap(data));
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    boolean contains(String key) {
        return Files.isRegularFile(fileFor(key));
    }

    /** Deletes the entry for {@code key}, if any; failures only leave a stale cache file. */
    void remove(String key) {
        try {
            Files.deleteIfExists(fileFor(key));
        } catch (IOException e) {
            // A leftover entry is only disk space: the key is a content hash, never wrong code.
        }
    }

    /** Keys are Chicory's own strings; hash them so any key is a safe file name. */
    private Path fileFor(String key) {
        return dir.resolve(Sha256.hex(key) + ".bin");
    }
}
