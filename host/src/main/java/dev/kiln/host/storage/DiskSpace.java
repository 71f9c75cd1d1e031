package dev.kiln.host.storage;

import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.Locale;

/**
 * Free space on the data directory's disk, against the floor the host keeps free ({@code
 * --min-free-disk-mib}). Writes that add data (uploads, settings, queued events, invocation
 * records) stop at the floor with {@code insufficient_storage} (507), so the disk never fills up
 * under SQLite and the space left lets deletes, event completions and checkpoints still commit. A
 * disk that fills anyway (another process, a floor of 0) surfaces the same way: {@link #isFull}
 * recognises the operating system's and SQLite's "disk full". See docs/adr/0030.
 */
public final class DiskSpace {
    private static final int SQLITE_FULL = 13;

    private final FileStore store;
    private final long minFreeBytes;

    private DiskSpace(FileStore store, long minFreeBytes) {
        this.store = store;
        this.minFreeBytes = minFreeBytes;
    }

    /**
     * Watches the disk that holds {@code dataDir}.
     *
     * @param dataDir an existing directory on the disk to watch
     * @param minFreeMiB the floor; 0 only refuses writes once the disk is completely full
     */
    public static DiskSpace of(Path dataDir, long minFreeMiB) throws IOException {
        if (minFreeMiB < 0) {
            throw new IllegalArgumentException("minFreeDiskMiB must not be negative");
        }
        return new DiskSpace(Files.getFileStore(dataDir), minFreeMiB * 1024 * 1024);
    }

    /** Bytes this process may still write on the disk. */
    public long usableBytes() {
        try {
            return store.getUsableSpace();
        } catch (IOException e) {
            return Long.MAX_VALUE; // cannot tell: let the write itself find out
        }
    }

    public long minFreeBytes() {
        return minFreeBytes;
    }

    /** Whether the disk is at or below the floor (or completely full). */
    public boolean low() {
        return usableBytes() < Math.max(minFreeBytes, 1);
    }

    /** Throws {@code insufficient_storage} when the disk is {@link #low}. */
    public void requireRoom() {
        if (low()) {
            throw full(null);
        }
    }

    /** The error clients get when there is no room; the message names no path. */
    public static KilnException full(Throwable cause) {
        return new KilnException(
                ErrorCode.INSUFFICIENT_STORAGE,
                "the host's storage is full; retry once space is freed",
                cause);
    }

    /**
     * Whether {@code failure} (or a cause of it) is the disk running full: ENOSPC or EDQUOT from
     * the operating system, or SQLITE_FULL.
     */
    // A throwable that is its own cause ends the chain; identity is the point.
    @SuppressWarnings("ReferenceEquality")
    public static boolean isFull(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLException e && (e.getErrorCode() & 0xff) == SQLITE_FULL) {
                return true;
            }
            String m = t.getMessage();
            if (m != null) {
                String lower = m.toLowerCase(Locale.ROOT);
                if (lower.contains("no space left on device")
                        || lower.contains("disk quota exceeded")
                        || lower.contains("sqlite_full")) {
                    return true;
                }
            }
        }
        return false;
    }

    /** {@code insufficient_storage} when {@code failure} is a full disk, else {@code internal}. */
    public static KilnException failure(Throwable failure, String internalMessage) {
        return isFull(failure)
                ? full(failure)
                : new KilnException(ErrorCode.INTERNAL, internalMessage, failure);
    }
}
