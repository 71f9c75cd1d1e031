package dev.kiln.host.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.host.core.FunctionName;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.storage.DiskSpace;
import dev.kiln.host.storage.Sql;
import dev.kiln.host.storage.SqliteFiles;
import dev.kiln.host.storage.SqliteSchema;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry's rows in {@code kiln.db}: its schema and every statement that reads or writes
 * functions, versions and aliases. The {@link Registry} keeps the in-memory copy and the rules;
 * this class only speaks SQL, and turns a storage failure into the error a client sees.
 */
final class RegistryStore implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Registry.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final List<SqliteSchema.Step> SCHEMA =
            List.of(
                    st -> {
                        st.execute(
                                "CREATE TABLE IF NOT EXISTS functions ("
                                        + " service TEXT NOT NULL, name TEXT NOT NULL,"
                                        + " settings TEXT NOT NULL, latest INTEGER NOT NULL,"
                                        + " created_at INTEGER NOT NULL,"
                                        + " updated_at INTEGER NOT NULL,"
                                        + " PRIMARY KEY (service, name))");
                        st.execute(
                                "CREATE TABLE IF NOT EXISTS versions ("
                                        + " service TEXT NOT NULL, name TEXT NOT NULL,"
                                        + " number INTEGER NOT NULL, sha256 TEXT NOT NULL,"
                                        + " size INTEGER NOT NULL, created_at INTEGER NOT NULL,"
                                        + " PRIMARY KEY (service, name, number))");
                        st.execute("CREATE INDEX IF NOT EXISTS versions_sha ON versions (sha256)");
                    },
                    // Versions carry the settings of their code; aliases (docs/adr/0037). A
                    // version stored before has its function's settings, the best there is.
                    st -> {
                        SqliteSchema.addColumnIfMissing(st, "versions", "settings", "TEXT");
                        st.execute(
                                "UPDATE versions SET settings = (SELECT f.settings FROM functions f"
                                        + " WHERE f.service = versions.service AND f.name ="
                                        + " versions.name) WHERE settings IS NULL");
                        st.execute(
                                "CREATE TABLE IF NOT EXISTS aliases ("
                                        + " service TEXT NOT NULL, name TEXT NOT NULL,"
                                        + " alias TEXT NOT NULL, version INTEGER NOT NULL,"
                                        + " additional_version INTEGER NOT NULL,"
                                        + " additional_weight REAL NOT NULL,"
                                        + " description TEXT NOT NULL,"
                                        + " created_at INTEGER NOT NULL,"
                                        + " updated_at INTEGER NOT NULL,"
                                        + " PRIMARY KEY (service, name, alias))");
                    });

    /** An alias row with the function it belongs to. */
    record StoredAlias(FunctionName function, AliasInfo alias) {}

    private final Connection db;

    private RegistryStore(Connection db) {
        this.db = db;
    }

    /** Opens (creating and migrating if needed) {@code kiln.db} in {@code dataDir}. */
    static RegistryStore open(Path dataDir) throws SQLException, IOException {
        Connection db = SqliteFiles.open(dataDir.resolve("kiln.db"), SqliteFiles.Durability.FULL);
        SqliteSchema.migrate(db, "kiln.db", SCHEMA);
        return new RegistryStore(db);
    }

    /** Every function with its newest version. */
    List<FunctionInfo> functions() throws SQLException {
        return Sql.list(
                db,
                "SELECT f.service, f.name, f.settings, f.created_at, f.updated_at,"
                        + " v.number, v.sha256, v.size, v.created_at, v.settings"
                        + " FROM functions f JOIN versions v ON v.service = f.service"
                        + " AND v.name = f.name AND v.number = f.latest",
                rs -> {
                    FunctionSettings settings = parseSettings(rs.getString(3));
                    String own = rs.getString(10);
                    return new FunctionInfo(
                            rs.getString(1),
                            rs.getString(2),
                            settings,
                            new VersionInfo(
                                    rs.getInt(6),
                                    rs.getString(7),
                                    rs.getLong(8),
                                    Instant.ofEpochMilli(rs.getLong(9)),
                                    own == null ? settings : parseSettings(own)),
                            Instant.ofEpochMilli(rs.getLong(4)),
                            Instant.ofEpochMilli(rs.getLong(5)));
                });
    }

    /** Every alias. */
    List<StoredAlias> aliases() throws SQLException {
        return Sql.list(
                db,
                "SELECT service, name, alias, version, additional_version,"
                        + " additional_weight, description, created_at, updated_at"
                        + " FROM aliases",
                rs ->
                        new StoredAlias(
                                new FunctionName(rs.getString(1), rs.getString(2)),
                                new AliasInfo(
                                        rs.getString(3),
                                        rs.getInt(4),
                                        rs.getInt(5),
                                        rs.getDouble(6),
                                        rs.getString(7),
                                        Instant.ofEpochMilli(rs.getLong(8)),
                                        Instant.ofEpochMilli(rs.getLong(9)))));
    }

    /** The module hashes some version uses. */
    Set<String> referencedShas() throws SQLException {
        return new HashSet<>(
                Sql.list(db, "SELECT DISTINCT sha256 FROM versions", rs -> rs.getString(1)));
    }

    /** Stores a version and makes it the function's latest, creating the function if needed. */
    void storeVersion(
            String service,
            String function,
            FunctionSettings settings,
            String sha,
            long size,
            int number,
            Instant created,
            Instant now) {
        inTransaction(
                () -> {
                    Sql.update(
                            db,
                            "INSERT INTO versions (service, name, number, sha256, size,"
                                    + " created_at, settings) VALUES (?, ?, ?, ?, ?, ?, ?)",
                            service,
                            function,
                            number,
                            sha,
                            size,
                            now.toEpochMilli(),
                            settingsJson(settings));
                    Sql.update(
                            db,
                            "INSERT INTO functions VALUES (?, ?, ?, ?, ?, ?)"
                                    + " ON CONFLICT (service, name) DO UPDATE SET"
                                    + " settings = excluded.settings,"
                                    + " latest = excluded.latest,"
                                    + " updated_at = excluded.updated_at",
                            service,
                            function,
                            settingsJson(settings),
                            number,
                            created.toEpochMilli(),
                            now.toEpochMilli());
                });
    }

    /** Replaces a function's settings (ones that leave its code as it is). */
    void updateSettings(String service, String function, FunctionSettings settings, Instant now) {
        inTransaction(
                () -> {
                    Sql.update(
                            db,
                            "UPDATE functions SET settings = ?, updated_at = ?"
                                    + " WHERE service = ? AND name = ?",
                            settingsJson(settings),
                            now.toEpochMilli(),
                            service,
                            function);
                });
    }

    /** Deletes a function with its versions and aliases. */
    void deleteFunction(String service, String function) {
        inTransaction(
                () -> {
                    for (String table : List.of("aliases", "versions", "functions")) {
                        Sql.update(
                                db,
                                "DELETE FROM " + table + " WHERE service = ? AND name = ?",
                                service,
                                function);
                    }
                });
    }

    /** Versions of a function, newest first. */
    List<VersionInfo> versions(String service, String function) {
        try {
            return Sql.list(
                    db,
                    "SELECT number, sha256, size, created_at, settings FROM versions"
                            + " WHERE service = ? AND name = ? ORDER BY number DESC",
                    RegistryStore::versionRow,
                    service,
                    function);
        } catch (SQLException e) {
            throw storageFailure(e);
        }
    }

    /** One version of a function. */
    Optional<VersionInfo> version(String service, String function, int number) {
        try {
            return Sql.first(
                    db,
                    "SELECT number, sha256, size, created_at, settings FROM versions"
                            + " WHERE service = ? AND name = ? AND number = ?",
                    RegistryStore::versionRow,
                    service,
                    function,
                    number);
        } catch (SQLException e) {
            throw storageFailure(e);
        }
    }

    private static VersionInfo versionRow(ResultSet rs) throws SQLException {
        return new VersionInfo(
                rs.getInt(1),
                rs.getString(2),
                rs.getLong(3),
                Instant.ofEpochMilli(rs.getLong(4)),
                parseSettings(rs.getString(5)));
    }

    /** Deletes versions of one function. */
    void deleteVersions(String service, String function, List<VersionInfo> doomed) {
        inTransaction(
                () -> {
                    for (VersionInfo v : doomed) {
                        Sql.update(
                                db,
                                "DELETE FROM versions WHERE service = ? AND name = ? AND number"
                                        + " = ?",
                                service,
                                function,
                                v.number());
                    }
                });
    }

    /** Creates or replaces an alias row. */
    void putAlias(String service, String function, AliasInfo alias) {
        inTransaction(
                () ->
                        Sql.update(
                                db,
                                "INSERT INTO aliases VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                                        + " ON CONFLICT (service, name, alias) DO UPDATE SET"
                                        + " version = excluded.version,"
                                        + " additional_version = excluded.additional_version,"
                                        + " additional_weight = excluded.additional_weight,"
                                        + " description = excluded.description,"
                                        + " updated_at = excluded.updated_at",
                                service,
                                function,
                                alias.name(),
                                alias.version(),
                                alias.additionalVersion(),
                                alias.additionalWeight(),
                                alias.description(),
                                alias.createdAt().toEpochMilli(),
                                alias.updatedAt().toEpochMilli()));
    }

    /** Deletes an alias row. */
    void deleteAlias(String service, String function, String name) {
        inTransaction(
                () ->
                        Sql.update(
                                db,
                                "DELETE FROM aliases WHERE service = ? AND name = ? AND alias = ?",
                                service,
                                function,
                                name));
    }

    /** The number the function's next version gets. */
    int nextVersion(String service, String function) {
        try {
            return (int)
                    Sql.number(
                            db,
                            "SELECT COALESCE(MAX(number), 0) + 1 FROM versions"
                                    + " WHERE service = ? AND name = ?",
                            service,
                            function);
        } catch (SQLException e) {
            throw storageFailure(e);
        }
    }

    /** Whether some stored version uses the module {@code sha}. */
    boolean isReferenced(String sha) {
        try {
            return Sql.first(
                            db,
                            "SELECT 1 FROM versions WHERE sha256 = ? LIMIT 1",
                            rs -> Boolean.TRUE,
                            sha)
                    .isPresent();
        } catch (SQLException e) {
            throw storageFailure(e);
        }
    }

    private void inTransaction(Sql.Work work) {
        try {
            Sql.inTransaction(db, work);
        } catch (SQLException e) {
            throw storageFailure(e);
        }
    }

    private static String settingsJson(FunctionSettings s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static FunctionSettings parseSettings(String json) {
        try {
            return JSON.readValue(json, FunctionSettings.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored settings are not readable", e);
        }
    }

    static KilnException storageFailure(Exception e) {
        log.error("registry storage failure", e);
        return DiskSpace.failure(e, "the registry could not complete the request");
    }

    @Override
    public void close() {
        try {
            db.close();
        } catch (SQLException e) {
            log.warn("closing kiln.db failed: {}", e.toString());
        }
    }
}
