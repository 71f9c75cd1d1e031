package dev.kiln.host.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Properties;

/** Opens Kiln's SQLite files the one way they are all opened: WAL, a busy timeout. */
public final class SqliteFiles {
    private static final int SQLITE_CORRUPT = 11;
    private static final int SQLITE_NOTADB = 26;
    private static final DateTimeFormatter ASIDE_TIME =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmssSSS'Z'").withZone(ZoneOffset.UTC);

    private SqliteFiles() {}

    /** How hard a commit waits for the disk. */
    public enum Durability {
        /** fsync on every commit: acknowledged writes survive a power cut. */
        FULL,
        /** fsync at checkpoints: the last commits may be lost in a power cut, never corrupted. */
        NORMAL
    }

    public static Connection open(Path file, Durability durability)
            throws IOException, SQLException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Properties options = new Properties();
        // No Kiln code reads generated keys; the driver would otherwise prepare and run a query for
        // them after every insert.
        options.setProperty("jdbc.get_generated_keys", "false");
        Connection db = DriverManager.getConnection("jdbc:sqlite:" + file, options);
        try (Statement st = db.createStatement()) {
            st.execute("PRAGMA journal_mode=WAL");
            st.execute("PRAGMA synchronous=" + durability.name());
            st.execute("PRAGMA busy_timeout=5000");
        } catch (SQLException e) {
            db.close();
            throw e;
        }
        return db;
    }

    /** Whether SQLite refused a file as damaged or as no database at all. */
    public static boolean isCorrupt(SQLException e) {
        int primary = e.getErrorCode() & 0xff;
        return primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB;
    }

    /**
     * Renames a (closed) database file, with its {@code -wal} and {@code -shm} files, to {@code
     * <name>.corrupt-<UTC time>}, keeping it for inspection; returns the new path of the file.
     */
    public static Path moveAside(Path file) throws IOException {
        String suffix = ".corrupt-" + ASIDE_TIME.format(Instant.now());
        Path aside = file.resolveSibling(file.getFileName() + suffix);
        Files.move(file, aside);
        for (String companion : new String[] {"-wal", "-shm"}) {
            Path c = file.resolveSibling(file.getFileName() + companion);
            if (Files.exists(c)) {
                Files.move(c, c.resolveSibling(c.getFileName() + suffix));
            }
        }
        return aside;
    }
}
