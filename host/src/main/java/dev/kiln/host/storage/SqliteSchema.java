package dev.kiln.host.storage;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Brings a SQLite file's schema up to date, the one way every Kiln file does it: {@code PRAGMA
 * user_version} counts the steps applied; step {@code i} (from 0) takes version {@code i} to {@code
 * i + 1}, in one transaction with the version bump. A file newer than this Kiln is refused rather
 * than misread.
 */
public final class SqliteSchema {
    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    private SqliteSchema() {}

    /** One schema change. */
    @FunctionalInterface
    public interface Step {
        void apply(Statement st) throws SQLException;
    }

    /**
     * Applies the steps {@code db} lacks.
     *
     * @param fileName the file's name, for the refusal message
     * @throws IllegalStateException when the file's version is newer than {@code steps.size()}
     */
    public static void migrate(Connection db, String fileName, List<Step> steps)
            throws SQLException {
        int version = version(db);
        if (version > steps.size()) {
            throw new IllegalStateException(
                    fileName + " has schema version " + version + ", newer than this Kiln knows");
        }
        for (int i = version; i < steps.size(); i++) {
            int step = i;
            Sql.inTransaction(
                    db,
                    () -> {
                        try (Statement st = db.createStatement()) {
                            steps.get(step).apply(st);
                            st.execute("PRAGMA user_version = " + (step + 1));
                        }
                    });
        }
    }

    /** The file's {@code user_version}: how many steps it has. */
    public static int version(Connection db) throws SQLException {
        try (Statement st = db.createStatement();
                ResultSet rs = st.executeQuery("PRAGMA user_version")) {
            return rs.next() ? rs.getInt(1) : 0;
        }
    }

    /**
     * Adds a column unless the table has it: for a step that must also fix files written before
     * their schema was versioned.
     */
    public static void addColumnIfMissing(Statement st, String table, String column, String type)
            throws SQLException {
        if (!IDENTIFIER.matcher(table).matches() || !IDENTIFIER.matcher(column).matches()) {
            throw new IllegalArgumentException("bad identifier " + table + "." + column);
        }
        try (ResultSet rs = st.executeQuery("PRAGMA table_info(" + table + ")")) {
            while (rs.next()) {
                if (column.equals(rs.getString("name"))) {
                    return;
                }
            }
        }
        st.execute("ALTER TABLE " + table + " ADD COLUMN " + column + " " + type);
    }
}
