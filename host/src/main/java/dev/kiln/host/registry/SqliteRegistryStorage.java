package dev.kiln.host.registry;

import dev.kiln.host.core.FunctionName;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded node's registry storage: rows in {@code kiln.db} ({@link RegistryStore}) and module
 * files ({@link BlobStore}). Nobody else writes it, so it is not {@linkplain #shared() shared}: the
 * registry applies its own writes, and revisions are only a local count.
 */
final class SqliteRegistryStorage implements RegistryStorage {
    private static final Logger log = LoggerFactory.getLogger(Registry.class);

    private final RegistryStore db;
    private final BlobStore blobs;
    private final AtomicLong revisions = new AtomicLong();

    private SqliteRegistryStorage(RegistryStore db, BlobStore blobs) {
        this.db = db;
        this.blobs = blobs;
    }

    static SqliteRegistryStorage open(Path dataDir) throws IOException {
        try {
            return new SqliteRegistryStorage(
                    RegistryStore.open(dataDir),
                    new BlobStore(dataDir.resolve("modules").resolve("sha256")));
        } catch (SQLException e) {
            throw new IllegalStateException("cannot open kiln.db (the registry) in " + dataDir, e);
        }
    }

    @Override
    public void start(Changes changes) throws IOException {
        try {
            Map<FunctionName, List<AliasInfo>> aliases = new HashMap<>();
            for (RegistryStore.StoredAlias a : db.aliases()) {
                aliases.computeIfAbsent(a.function(), k -> new ArrayList<>()).add(a.alias());
            }
            for (FunctionInfo info : db.functions()) {
                FunctionName name = new FunctionName(info.service(), info.name());
                changes.function(
                        name,
                        new FunctionState(info, aliases.getOrDefault(name, List.of())),
                        revisions.incrementAndGet());
            }
            int swept = blobs.sweep(db.referencedShas());
            if (swept > 0) {
                log.info("removed {} orphaned module files left by an interrupted write", swept);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read kiln.db (the registry)", e);
        }
    }

    @Override
    public boolean shared() {
        return false;
    }

    @Override
    public void awaitApplied(long revision) {}

    @Override
    public long storeVersion(FunctionState after, long expected) {
        FunctionInfo f = after.info();
        VersionInfo v = f.latest();
        db.storeVersion(
                f.service(),
                f.name(),
                f.settings(),
                v.sha256(),
                v.sizeBytes(),
                v.number(),
                f.createdAt(),
                f.updatedAt());
        return revisions.incrementAndGet();
    }

    @Override
    public long updateSettings(FunctionState after, long expected) {
        FunctionInfo f = after.info();
        db.updateSettings(f.service(), f.name(), f.settings(), f.updatedAt());
        return revisions.incrementAndGet();
    }

    @Override
    public long putAlias(FunctionState after, AliasInfo alias, long expected) {
        db.putAlias(after.info().service(), after.info().name(), alias);
        return revisions.incrementAndGet();
    }

    @Override
    public long deleteAlias(FunctionState after, String name, long expected) {
        db.deleteAlias(after.info().service(), after.info().name(), name);
        return revisions.incrementAndGet();
    }

    @Override
    public long deleteFunction(FunctionName function, List<VersionInfo> versions, long expected) {
        db.deleteFunction(function.service(), function.function());
        return revisions.incrementAndGet();
    }

    @Override
    public long deleteVersions(FunctionState current, List<VersionInfo> doomed, long expected) {
        db.deleteVersions(current.info().service(), current.info().name(), doomed);
        return revisions.incrementAndGet();
    }

    @Override
    public List<VersionInfo> versions(FunctionName function) {
        return db.versions(function.service(), function.function());
    }

    @Override
    public Optional<VersionInfo> version(FunctionName function, int number) {
        return db.version(function.service(), function.function(), number);
    }

    @Override
    public int nextVersion(FunctionName function) {
        return db.nextVersion(function.service(), function.function());
    }

    @Override
    public boolean isReferenced(String sha) {
        return db.isReferenced(sha);
    }

    @Override
    public void putModule(String sha, byte[] bytes) throws IOException {
        blobs.put(sha, bytes);
    }

    @Override
    public byte[] module(String sha) throws IOException {
        return blobs.get(sha);
    }

    @Override
    public void deleteModule(String sha) throws IOException {
        blobs.delete(sha);
    }

    @Override
    public void close() {
        db.close();
    }
}
