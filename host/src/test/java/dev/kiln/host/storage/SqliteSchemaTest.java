package dev.kiln.host.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Versioned migrations on real files, and the query helper they are read with. */
class SqliteSchemaTest {
    @TempDir Path data;

    private static final List<SqliteSchema.Step> TWO_STEPS =
            List.of(
                    st -> st.execute("CREATE TABLE t (a TEXT)"),
                    st -> SqliteSchema.addColumnIfMissing(st, "t", "b", "INTEGER DEFAULT 7"));

    @Test
    void stepsRunOnceEachAndCountInUserVersion() throws Exception {
        Path file = data.resolve("x.db");
        try (Connection db = SqliteFiles.open(file, SqliteFiles.Durability.NORMAL)) {
            SqliteSchema.migrate(db, "x.db", TWO_STEPS.subList(0, 1));
            assertThat(SqliteSchema.version(db)).isEqualTo(1);
            Sql.update(db, "INSERT INTO t (a) VALUES (?)", "kept");
        }
        try (Connection db = SqliteFiles.open(file, SqliteFiles.Durability.NORMAL)) {
            // Step 1 would fail if it ran again (the table exists): only step 2 runs.
            SqliteSchema.migrate(db, "x.db", TWO_STEPS);
            assertThat(SqliteSchema.version(db)).isEqualTo(2);
            assertThat(Sql.list(db, "SELECT a, b FROM t", rs -> rs.getString(1) + rs.getLong(2)))
                    .containsExactly("kept7");
        }
    }

    @Test
    void aFileNewerThanItsStepsIsRefusedUntouched() throws Exception {
        Path file = data.resolve("x.db");
        try (Connection db = SqliteFiles.open(file, SqliteFiles.Durability.NORMAL)) {
            SqliteSchema.migrate(db, "x.db", TWO_STEPS);
            assertThatThrownBy(() -> SqliteSchema.migrate(db, "x.db", TWO_STEPS.subList(0, 1)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("x.db has schema version 2");
            assertThat(SqliteSchema.version(db)).isEqualTo(2);
        }
    }

    @Test
    void aFailingStepLeavesNeitherItsChangesNorItsVersion() throws Exception {
        Path file = data.resolve("x.db");
        try (Connection db = SqliteFiles.open(file, SqliteFiles.Durability.NORMAL)) {
            List<SqliteSchema.Step> broken =
                    List.of(
                            st -> {
                                st.execute("CREATE TABLE t (a TEXT)");
                                st.execute("THIS IS NOT SQL");
                            });
            assertThatThrownBy(() -> SqliteSchema.migrate(db, "x.db", broken))
                    .isInstanceOf(SQLException.class);
            assertThat(SqliteSchema.version(db)).isZero();
            SqliteSchema.migrate(db, "x.db", TWO_STEPS); // t was rolled back: step 1 runs
            assertThat(SqliteSchema.version(db)).isEqualTo(2);
        }
    }
}
