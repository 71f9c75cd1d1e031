package dev.kiln.host.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.FunctionName;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.core.Sha256;
import dev.kiln.host.storage.DiskSpace;
import dev.kiln.host.storage.Sql;
import dev.kiln.host.storage.SqliteFiles;
import dev.kiln.host.storage.SqliteSchema;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stored functions and their immutable versions: metadata in SQLite ({@code kiln.db}), module bytes
 * in a {@link BlobStore}. Reads come from an in-memory copy kept in step with every write, so the
 * invocation path never runs SQL. Writers are serialised.
 *
 * <p>Every upload makes a new version, even of identical bytes (the blob is shared): a version
 * records that an upload happened, like publishing a version on Function Compute.
 */
public final class Registry implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Registry.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Connection db;
    private final BlobStore blobs;
    private final DiskSpace space;
    private final Map<FunctionName, FunctionInfo> cache = new ConcurrentHashMap<>();

    private Registry(Connection db, BlobStore blobs, DiskSpace space) {
        this.db = db;
        this.blobs = blobs;
        this.space = space;
    }

    /**
     * Opens (creating if needed) the registry in {@code dataDir}; writes stop only at a full disk.
     */
    public static Registry open(Path dataDir) {
        try {
            return open(dataDir, DiskSpace.of(Files.createDirectories(dataDir), 0));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Opens (creating if needed) the registry in {@code dataDir}; uploads and settings changes are
     * refused with {@code insufficient_storage} while {@code space} is low.
     */
    public static Registry open(Path dataDir, DiskSpace space) {
        try {
            Connection db =
                    SqliteFiles.open(dataDir.resolve("kiln.db"), SqliteFiles.Durability.FULL);
            SqliteSchema.migrate(db, "kiln.db", SCHEMA);
            Registry registry =
                    new Registry(
                            db, new BlobStore(dataDir.resolve("modules").resolve("sha256")), space);
            registry.load();
            return registry;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot open kiln.db (the registry) in " + dataDir, e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

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
                    });

    private void load() throws SQLException, IOException {
        for (FunctionInfo info :
                Sql.list(
                        db,
                        "SELECT f.service, f.name, f.settings, f.created_at, f.updated_at,"
                                + " v.number, v.sha256, v.size, v.created_at FROM functions f"
                                + " JOIN versions v ON v.service = f.service AND v.name ="
                                + " f.name AND v.number = f.latest",
                        rs ->
                                new FunctionInfo(
                                        rs.getString(1),
                                        rs.getString(2),
                                        parseSettings(rs.getString(3)),
                                        new VersionInfo(
                                                rs.getInt(6),
                                                rs.getString(7),
                                                rs.getLong(8),
                                                Instant.ofEpochMilli(rs.getLong(9))),
                                        Instant.ofEpochMilli(rs.getLong(4)),
                                        Instant.ofEpochMilli(rs.getLong(5))))) {
            cache.put(key(info.service(), info.name()), info);
        }
        Set<String> referenced =
                new HashSet<>(
                        Sql.list(
                                db, "SELECT DISTINCT sha256 FROM versions", rs -> rs.getString(1)));
        int swept = blobs.sweep(referenced);
        if (swept > 0) {
            log.info("removed {} orphaned module files left by an interrupted write", swept);
        }
    }

    /**
     * Stores {@code module} as a new version of {@code service/function} (creating the function if
     * needed), makes it the latest, and replaces the settings.
     */
    public synchronized FunctionInfo deploy(
            String service, String function, byte[] module, FunctionSettings settings) {
        checkName("service", service);
        checkName("function", function);
        String sha = Sha256.hex(module);
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        space.requireRoom();
        try {
            blobs.put(
                    sha, module); // blob first: a crash now leaves an orphan, never half a function
            FunctionInfo previous = cache.get(key(service, function));
            int number;
            Instant created = previous == null ? now : previous.createdAt();
            try {
                number = previous == null ? 1 : nextVersion(service, function);
                storeVersion(service, function, settings, sha, module.length, number, created, now);
            } catch (RuntimeException e) {
                dropIfUnreferenced(sha); // refused by the store: leave no module file behind
                throw e;
            }
            var info =
                    new FunctionInfo(
                            service,
                            function,
                            settings,
                            new VersionInfo(number, sha, module.length, now),
                            created,
                            now);
            cache.put(key(service, function), info);
            return info;
        } catch (IOException e) {
            if (DiskSpace.isFull(e)) {
                log.warn("module file not stored: the disk is full ({})", e.toString());
                throw DiskSpace.full(e);
            }
            throw new UncheckedIOException(e);
        }
    }

    /** A failed store's module file goes, unless a stored version shares it. */
    private void dropIfUnreferenced(String sha) {
        try {
            if (!isReferenced(sha)) {
                blobs.delete(sha);
            }
        } catch (IOException | RuntimeException e) {
            // The sweep at the next start removes it.
            log.warn("could not remove module file {} after a failed store: {}", sha, e.toString());
        }
    }

    private void storeVersion(
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
                            "INSERT INTO versions VALUES (?, ?, ?, ?, ?, ?)",
                            service,
                            function,
                            number,
                            sha,
                            size,
                            now.toEpochMilli());
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

    /**
     * Throws {@code insufficient_storage} when the data directory's disk is below its floor: an
     * upload can be refused before any work is spent on it.
     */
    public void requireRoom() {
        space.requireRoom();
    }

    public Optional<FunctionInfo> find(String service, String function) {
        return Optional.ofNullable(cache.get(key(service, function)));
    }

    /** Replaces the settings of an existing function. */
    public synchronized FunctionInfo updateSettings(
            String service, String function, FunctionSettings settings) {
        FunctionInfo current = require(service, function);
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        space.requireRoom();
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
        var info =
                new FunctionInfo(
                        service, function, settings, current.latest(), current.createdAt(), now);
        cache.put(key(service, function), info);
        return info;
    }

    /** Deletes a function and its versions; module files no other version uses go too. */
    public synchronized boolean delete(String service, String function) {
        if (cache.get(key(service, function)) == null) {
            return false;
        }
        List<String> shas = new ArrayList<>();
        for (VersionInfo v : versions(service, function)) {
            shas.add(v.sha256());
        }
        inTransaction(
                () -> {
                    for (String table : List.of("versions", "functions")) {
                        Sql.update(
                                db,
                                "DELETE FROM " + table + " WHERE service = ? AND name = ?",
                                service,
                                function);
                    }
                });
        cache.remove(key(service, function));
        for (String sha : new HashSet<>(shas)) {
            if (!isReferenced(sha)) {
                try {
                    blobs.delete(sha);
                } catch (IOException e) {
                    log.warn("could not delete unused module file {}: {}", sha, e.toString());
                }
            }
        }
        return true;
    }

    /** Services that hold at least one function, sorted. */
    public List<String> services() {
        return cache.values().stream().map(FunctionInfo::service).distinct().sorted().toList();
    }

    /** Functions of {@code service}, sorted by name. */
    public List<FunctionInfo> functions(String service) {
        return cache.values().stream()
                .filter(f -> f.service().equals(service))
                .sorted(Comparator.comparing(FunctionInfo::name))
                .toList();
    }

    /** Versions of a function, newest first. */
    public synchronized List<VersionInfo> versions(String service, String function) {
        try {
            return Sql.list(
                    db,
                    "SELECT number, sha256, size, created_at FROM versions"
                            + " WHERE service = ? AND name = ? ORDER BY number DESC",
                    rs ->
                            new VersionInfo(
                                    rs.getInt(1),
                                    rs.getString(2),
                                    rs.getLong(3),
                                    Instant.ofEpochMilli(rs.getLong(4))),
                    service,
                    function);
        } catch (SQLException e) {
            throw storageFailure(e);
        }
    }

    /** The module bytes of a version, verified against their hash. */
    public byte[] readModule(String sha256) {
        byte[] bytes;
        try {
            bytes = blobs.get(sha256);
        } catch (IOException e) {
            throw storageFailure(e);
        }
        if (bytes == null || !Sha256.hex(bytes).equals(sha256)) {
            log.error("module file {} is missing or corrupt", sha256);
            throw new KilnException(
                    ErrorCode.INTERNAL, "the stored module of this function is unavailable");
        }
        return bytes;
    }

    @Override
    public synchronized void close() {
        try {
            db.close();
        } catch (SQLException e) {
            log.warn("closing kiln.db failed: {}", e.toString());
        }
    }

    /** Like {@link #find}, but a missing function is {@code function_not_found}. */
    public FunctionInfo require(String service, String function) {
        FunctionInfo f = cache.get(key(service, function));
        if (f == null) {
            throw new KilnException(
                    ErrorCode.FUNCTION_NOT_FOUND,
                    "function " + key(service, function) + " does not exist");
        }
        return f;
    }

    private int nextVersion(String service, String function) {
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

    private boolean isReferenced(String sha) {
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

    private static void checkName(String what, String name) {
        FunctionName.checkName(what, name);
    }

    private static FunctionName key(String service, String function) {
        return new FunctionName(service, function);
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

    private static KilnException storageFailure(Exception e) {
        log.error("registry storage failure", e);
        return DiskSpace.failure(e, "the registry could not complete the request");
    }
}
