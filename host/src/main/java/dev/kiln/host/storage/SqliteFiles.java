package dev.kiln.host.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/** Opens Kiln's SQLite files the one way they are all opened: WAL, a busy timeout. */
public final class SqliteFiles {
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
        Connection db = DriverManager.getConnection("jdbc:sqlite:" + file);
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
}
