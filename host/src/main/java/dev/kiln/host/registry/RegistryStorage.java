package dev.kiln.host.registry;

import dev.kiln.host.core.FunctionName;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * Where the {@link Registry} keeps functions, versions, aliases and module bytes: SQLite and files
 * on one node ({@link #sqlite}), a JetStream key-value bucket and object store in cluster mode
 * (docs/adr/0048). The registry keeps the rules and the in-memory copy the invocation path reads; a
 * storage only stores, and tells the registry what is stored through {@link Changes}.
 *
 * <p>Every write names the revision of the function's state it was computed from ({@link
 * #NO_REVISION} for a function that does not exist yet) and returns the revision it made: a shared
 * storage refuses a write whose function changed meanwhile ({@code conflict}). A {@linkplain
 * #shared() shared} storage announces its own writes too, through the same feed as everybody
 * else's; the registry waits for that ({@link #awaitApplied}) instead of updating its copy itself.
 */
public interface RegistryStorage extends AutoCloseable {
    /** The revision of a function that does not exist. */
    long NO_REVISION = 0;

    /** What a storage tells the registry. Calls come one at a time, in revision order. */
    interface Changes {
        /** {@code function} is now {@code state}, or gone when {@code state} is null. */
        void function(FunctionName function, FunctionState state, long revision);

        /** Version {@code number} of {@code function} was deleted. */
        void versionRemoved(FunctionName function, int number);
    }

    /**
     * Announces every stored function to {@code changes}, returning once it has; a shared storage
     * goes on announcing changes made by other nodes until it is closed.
     */
    void start(Changes changes) throws IOException;

    /** Whether other nodes write it too: writes are announced through {@link Changes}. */
    boolean shared();

    /**
     * Returns once the state of revision {@code revision} has been announced (a shared storage); at
     * once for one that is not shared.
     */
    void awaitApplied(long revision);

    /**
     * Brings the announced state up to what is stored now, for a lookup that found nothing (a
     * shared storage: another node may have just written it). Bounded; a no-op by default.
     */
    default void catchUp() {}

    /** Stores {@code after.info().latest()} as a new version and makes it the newest. */
    long storeVersion(FunctionState after, long expected);

    /** Replaces settings that leave the code as it is. */
    long updateSettings(FunctionState after, long expected);

    /** Creates or replaces {@code alias}; {@code after} holds it. */
    long putAlias(FunctionState after, AliasInfo alias, long expected);

    /** Deletes the alias {@code name}; {@code after} no longer holds it. */
    long deleteAlias(FunctionState after, String name, long expected);

    /** Deletes a function with its versions and aliases. */
    long deleteFunction(FunctionName function, List<VersionInfo> versions, long expected);

    /** Deletes versions of a function (none of them its newest, none an alias runs). */
    long deleteVersions(FunctionState current, List<VersionInfo> doomed, long expected);

    /** Versions of a function, newest first. */
    List<VersionInfo> versions(FunctionName function);

    /** One version of a function. */
    Optional<VersionInfo> version(FunctionName function, int number);

    /** The number the function's next version gets. */
    int nextVersion(FunctionName function);

    /** Whether some stored version uses the module {@code sha} (its bytes must stay). */
    boolean isReferenced(String sha);

    /** Stores module bytes under their sha-256, unless an intact copy is already there. */
    void putModule(String sha, byte[] bytes) throws IOException;

    /** The module bytes stored under {@code sha}, or null (not checked against the hash). */
    byte[] module(String sha) throws IOException;

    /** Deletes the module bytes of {@code sha}. */
    void deleteModule(String sha) throws IOException;

    @Override
    void close();

    /** Functions in {@code kiln.db}, modules as files under {@code modules/sha256}. */
    static RegistryStorage sqlite(java.nio.file.Path dataDir) throws IOException {
        return SqliteRegistryStorage.open(dataDir);
    }
}
