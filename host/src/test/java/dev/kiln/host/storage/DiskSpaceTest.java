package dev.kiln.host.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The free-space floor, and recognising a real full disk from the OS and from SQLite. */
class DiskSpaceTest {
    @TempDir Path dir;

    @Test
    void aFloorAboveTheFreeSpaceIsLowAndRefusesWithInsufficientStorage() throws IOException {
        long freeMiB = Files.getFileStore(dir).getUsableSpace() / (1024 * 1024);
        DiskSpace tight = DiskSpace.of(dir, freeMiB + 1024);
        assertThat(tight.low()).isTrue();
        assertThatThrownBy(tight::requireRoom)
                .isInstanceOfSatisfying(
                        KilnException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.INSUFFICIENT_STORAGE));
        DiskSpace roomy = DiskSpace.of(dir, 0);
        assertThat(roomy.low()).isFalse();
        roomy.requireRoom();
        assertThat(roomy.usableBytes()).isPositive();
    }

    @Test
    void enospcFromTheOperatingSystemIsAFullDisk() {
        Path full = Path.of("/dev/full"); // every write to it fails with ENOSPC
        assumeTrue(Files.isWritable(full), "/dev/full is not available here");
        IOException e = null;
        try {
            Files.write(full, new byte[4096]);
        } catch (IOException x) {
            e = x;
        }
        assertThat(e).isNotNull();
        assertThat(DiskSpace.isFull(e)).isTrue();
        assertThat(DiskSpace.failure(new IllegalStateException("wrapped", e), "x").code())
                .isEqualTo(ErrorCode.INSUFFICIENT_STORAGE);
        assertThat(DiskSpace.isFull(new IOException("Permission denied"))).isFalse();
    }

    @Test
    void sqliteFullIsAFullDisk() throws Exception {
        SQLException full = null;
        try (Connection db =
                        SqliteFiles.open(dir.resolve("tiny.db"), SqliteFiles.Durability.NORMAL);
                Statement st = db.createStatement()) {
            // SQLite's own cap on the file's pages: the write fails as on a full disk.
            st.execute("CREATE TABLE t (b BLOB)");
            st.execute("PRAGMA max_page_count = 8");
            try {
                for (int i = 0; i < 100; i++) {
                    st.execute("INSERT INTO t VALUES (zeroblob(4096))");
                }
            } catch (SQLException e) {
                full = e;
            }
        }
        assertThat((Throwable) full).isNotNull();
        assertThat(DiskSpace.isFull(full)).isTrue();
        assertThat(DiskSpace.failure(full, "x").code()).isEqualTo(ErrorCode.INSUFFICIENT_STORAGE);
        assertThat(DiskSpace.failure(new SQLException("locked", "x", 5), "x").code())
                .isEqualTo(ErrorCode.INTERNAL);
    }
}
