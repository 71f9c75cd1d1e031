package dev.kiln.host.registry;

import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.FunctionName;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.core.Sha256;
import dev.kiln.host.storage.DiskSpace;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stored functions and their immutable versions, kept by a {@link RegistryStorage}: metadata in
 * SQLite ({@code kiln.db}) and module files on one node, a JetStream bucket and object store in
 * cluster mode (docs/adr/0048). Reads come from an in-memory copy kept in step with every write, so
 * the invocation path never runs SQL nor waits on the network. Writers on this node are serialised;
 * in cluster mode the storage refuses a write computed from a state another node changed.
 *
 * <p>A version is immutable: its bytes and the settings that belong to its code. An upload or a
 * settings change that alters neither makes no version; aliases point at versions, and a version an
 * alias points at, or the newest, cannot be deleted (docs/adr/0037). Aliases live in {@code
 * kiln.db} too, and in memory for the invocation path.
 */
public final class Registry implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Registry.class);

    /** Aliases one function may have. */
    public static final int MAX_ALIASES_PER_FUNCTION = 64;

    private final RegistryStorage storage;
    private final DiskSpace space;

    /** The in-memory copy: what the invocation path reads, fed by the storage. */
    private final RegistryCopy copy = new RegistryCopy();

    private final RegistryModules modules;

    private final Map<FunctionName, FunctionInfo> cache = copy.functions;
    private final Map<FunctionName, Map<String, AliasInfo>> aliases = copy.aliases;

    private Registry(RegistryStorage storage, DiskSpace space) {
        this.storage = storage;
        this.space = space;
        this.modules = new RegistryModules(storage);
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
            return open(RegistryStorage.sqlite(dataDir), space);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A registry kept by {@code storage} (closed with the registry, or now if it cannot start):
     * returns once every stored function is in memory.
     */
    public static Registry open(RegistryStorage storage, DiskSpace space) {
        Registry registry = new Registry(storage, space);
        try {
            storage.start(registry.copy.feed());
            return registry;
        } catch (IOException | RuntimeException e) {
            storage.close();
            if (e instanceof IOException io) {
                throw new UncheckedIOException(io);
            }
            throw (RuntimeException) e;
        }
    }

    /** Whether the storage is shared with other nodes (cluster mode, docs/adr/0048). */
    public boolean shared() {
        return storage.shared();
    }

    /**
     * A write this node made, applied here before the client gets its answer. Shared storage first
     * waits for its feed (and the other nodes); the copy is updated here in any case, as a feed
     * that lost its consumer may announce it only seconds later (a revision seen is ignored).
     */
    private void commit(FunctionName k, FunctionState state, long revision) {
        if (storage.shared()) {
            storage.awaitApplied(revision);
        }
        copy.apply(k, state, revision);
    }

    /**
     * Stores {@code module} as a new version of {@code service/function} (creating the function if
     * needed), makes it the latest, and replaces the settings. The caller decides that a version is
     * wanted: {@link #isNewestVersion} tells an upload that would repeat the newest one.
     */
    public synchronized FunctionInfo deploy(
            String service, String function, byte[] module, FunctionSettings settings) {
        checkName("service", service);
        checkName("function", function);
        String sha = Sha256.hex(module);
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        space.requireRoom();
        FunctionName k = key(service, function);
        try {
            // module first: a crash now leaves an orphan, never half a function
            storage.putModule(sha, module);
            RegistryCopy.Applied previous = copy.applied(k);
            long expected = previous == null ? RegistryStorage.NO_REVISION : previous.revision();
            Instant created = previous == null ? now : previous.state().info().createdAt();
            List<AliasInfo> keep = previous == null ? List.of() : previous.state().aliases();
            FunctionInfo info;
            long revision;
            try {
                int number = previous == null ? 1 : storage.nextVersion(k);
                info =
                        new FunctionInfo(
                                service,
                                function,
                                settings,
                                new VersionInfo(number, sha, module.length, now, settings),
                                created,
                                now);
                revision = storage.storeVersion(new FunctionState(info, keep), expected);
            } catch (RuntimeException e) {
                dropIfUnreferenced(sha); // refused by the store: leave no module file behind
                throw e;
            }
            commit(k, new FunctionState(info, keep), revision);
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
        modules.dropIfUnreferenced(sha);
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

    /**
     * Replaces the settings of an existing function. When a setting that belongs to the code
     * changes, that makes a new version of the same bytes, which becomes the latest: versions are
     * immutable (docs/adr/0037).
     */
    public synchronized FunctionInfo updateSettings(
            String service, String function, FunctionSettings settings) {
        FunctionName k = key(service, function);
        long expected = copy.revision(k);
        FunctionInfo current = require(service, function);
        List<AliasInfo> keep = copy.aliasList(k);
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        space.requireRoom();
        if (!settings.sameCodeAs(current.settings())) {
            VersionInfo latest = current.latest();
            int number = storage.nextVersion(k);
            var info =
                    new FunctionInfo(
                            service,
                            function,
                            settings,
                            new VersionInfo(
                                    number, latest.sha256(), latest.sizeBytes(), now, settings),
                            current.createdAt(),
                            now);
            var after = new FunctionState(info, keep);
            commit(k, after, storage.storeVersion(after, expected));
            return info;
        }
        var info =
                new FunctionInfo(
                        service, function, settings, current.latest(), current.createdAt(), now);
        var after = new FunctionState(info, keep);
        commit(k, after, storage.updateSettings(after, expected));
        return info;
    }

    /**
     * Whether {@code sha256} with {@code settings} is what the function's newest version already
     * is: same bytes and same code settings (an upload of it makes no version).
     */
    public boolean isNewestVersion(
            String service, String function, String sha256, FunctionSettings settings) {
        FunctionInfo f = cache.get(key(service, function));
        return f != null && f.latest().sha256().equals(sha256) && f.settings().sameCodeAs(settings);
    }

    /** Deletes a function and its versions; module files no other version uses go too. */
    public synchronized boolean delete(String service, String function) {
        FunctionName k = key(service, function);
        long expected = copy.revision(k);
        if (cache.get(k) == null) {
            return false;
        }
        List<String> shas = new ArrayList<>();
        List<VersionInfo> all = versions(service, function);
        for (VersionInfo v : all) {
            shas.add(v.sha256());
        }
        commit(k, null, storage.deleteFunction(k, all, expected));
        for (String sha : new HashSet<>(shas)) {
            dropUnreferenced(sha);
        }
        return true;
    }

    private void dropUnreferenced(String sha) {
        modules.dropUnreferenced(sha);
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
        return storage.versions(key(service, function));
    }

    /** The module bytes of a version, verified against their hash. */
    public byte[] readModule(String sha256) {
        return modules.read(sha256);
    }

    // --- versions ---------------------------------------------------------------------------

    private Map<Integer, VersionInfo> versionsOf(String service, String function) {
        return copy.versionsOf(key(service, function));
    }

    /** One version of a function, if the function and the version exist. */
    public Optional<VersionInfo> version(String service, String function, int number) {
        FunctionInfo f = cache.get(key(service, function));
        if (f == null || number < 1 || number > f.latest().number()) {
            return Optional.empty();
        }
        if (number == f.latest().number()) {
            return Optional.of(f.latest());
        }
        VersionInfo cached = versionsOf(service, function).get(number);
        if (cached != null) {
            return Optional.of(cached);
        }
        return loadVersion(service, function, number);
    }

    private synchronized Optional<VersionInfo> loadVersion(
            String service, String function, int number) {
        Optional<VersionInfo> v = storage.version(key(service, function), number);
        // Only while the function is there: a delete meanwhile must not leave it cached.
        if (v.isPresent() && cache.containsKey(key(service, function))) {
            versionsOf(service, function).put(number, v.get());
        }
        return v;
    }

    /** Like {@link #version}, but a missing function or version is an error. */
    public VersionInfo requireVersion(String service, String function, int number) {
        require(service, function);
        return version(service, function, number)
                .orElseThrow(
                        () ->
                                new KilnException(
                                        ErrorCode.VERSION_NOT_FOUND,
                                        "function %s/%s has no version %d"
                                                .formatted(service, function, number)));
    }

    /**
     * Deletes one version; its module file goes unless another version uses it.
     *
     * @throws KilnException {@code version_not_found}; {@code conflict} for the newest version
     *     (what LATEST runs) or one an alias points at
     */
    public synchronized VersionInfo deleteVersion(String service, String function, int number) {
        VersionInfo v = requireVersion(service, function, number);
        FunctionInfo f = require(service, function);
        if (number == f.latest().number()) {
            throw new KilnException(
                    ErrorCode.CONFLICT,
                    "version "
                            + number
                            + " is the newest, which LATEST runs; upload a newer one first, or"
                            + " delete the function");
        }
        for (AliasInfo a : aliases(service, function)) {
            if (a.runs(number)) {
                throw new KilnException(
                        ErrorCode.CONFLICT,
                        "alias " + a.name() + " points at version " + number + "; move it first");
            }
        }
        removeVersions(service, function, List.of(v));
        return v;
    }

    /**
     * Deletes the function's oldest versions beyond the newest {@code keep} that no alias points at
     * (the retention setting, docs/adr/0037); {@code keep} 0 keeps all. Returns those deleted.
     */
    public synchronized List<VersionInfo> prune(String service, String function, int keep) {
        FunctionInfo f = cache.get(key(service, function));
        if (keep <= 0 || f == null || f.latest().number() <= keep) {
            return List.of();
        }
        List<VersionInfo> all = versions(service, function); // newest first
        if (all.size() <= keep) {
            return List.of();
        }
        List<AliasInfo> pointing = aliases(service, function);
        List<VersionInfo> doomed = new ArrayList<>();
        for (VersionInfo v : all.subList(keep, all.size())) {
            if (pointing.stream().noneMatch(a -> a.runs(v.number()))) {
                doomed.add(v);
            }
        }
        removeVersions(service, function, doomed);
        if (!doomed.isEmpty()) {
            log.info(
                    "pruned {} old versions of {}/{} (keeping {})",
                    doomed.size(),
                    service,
                    function,
                    keep);
        }
        return doomed;
    }

    private void removeVersions(String service, String function, List<VersionInfo> doomed) {
        if (doomed.isEmpty()) {
            return;
        }
        FunctionName k = key(service, function);
        RegistryCopy.Applied current = copy.applied(k);
        if (current != null) {
            long revision = storage.deleteVersions(current.state(), doomed, current.revision());
            commit(k, current.state(), revision);
        }
        Map<Integer, VersionInfo> cached = versionsOf(service, function);
        for (VersionInfo v : doomed) {
            cached.remove(v.number());
        }
        for (VersionInfo v : doomed) {
            dropUnreferenced(v.sha256());
        }
    }

    // --- aliases ----------------------------------------------------------------------------

    /** The function's aliases, by name. */
    public List<AliasInfo> aliases(String service, String function) {
        Map<String, AliasInfo> of = aliases.get(key(service, function));
        return of == null
                ? List.of()
                : of.values().stream().sorted(Comparator.comparing(AliasInfo::name)).toList();
    }

    /** One alias of an existing function. */
    public Optional<AliasInfo> alias(String service, String function, String name) {
        Map<String, AliasInfo> of = aliases.get(key(service, function));
        return Optional.ofNullable(of == null ? null : of.get(name));
    }

    /** Like {@link #alias}, but a missing function or alias is an error. */
    public AliasInfo requireAlias(String service, String function, String name) {
        require(service, function);
        return alias(service, function, name)
                .orElseThrow(
                        () ->
                                new KilnException(
                                        ErrorCode.ALIAS_NOT_FOUND,
                                        "function %s/%s has no alias %s"
                                                .formatted(service, function, name)));
    }

    /** An alias as stored, and whether it was new. */
    public record AliasWrite(AliasInfo alias, boolean created) {}

    /**
     * Creates or replaces an alias. Its versions must exist.
     *
     * @param additionalVersion 0 for none
     * @throws KilnException {@code version_not_found}, {@code bad_request} for a bad name
     */
    public synchronized AliasWrite putAlias(
            String service,
            String function,
            String name,
            int version,
            int additionalVersion,
            double additionalWeight,
            String description) {
        FunctionName k = key(service, function);
        long expected = copy.revision(k);
        FunctionInfo f = require(service, function);
        if (!Qualifier.ALIAS_NAME.matcher(name).matches() || name.equals("latest")) {
            throw new KilnException(
                    ErrorCode.BAD_REQUEST,
                    "alias name must match "
                            + Qualifier.ALIAS_NAME.pattern()
                            + " and not be latest");
        }
        if (alias(service, function, name).isEmpty()
                && aliases(service, function).size() >= MAX_ALIASES_PER_FUNCTION) {
            throw new KilnException(
                    ErrorCode.CONFLICT,
                    "function "
                            + service
                            + "/"
                            + function
                            + " has "
                            + MAX_ALIASES_PER_FUNCTION
                            + " aliases, the most it may have");
        }
        requireVersion(service, function, version);
        if (additionalVersion != 0) {
            requireVersion(service, function, additionalVersion);
        }
        space.requireRoom();
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        Optional<AliasInfo> before = alias(service, function, name);
        AliasInfo alias =
                new AliasInfo(
                        name,
                        version,
                        additionalVersion,
                        additionalWeight,
                        description,
                        before.map(AliasInfo::createdAt).orElse(now),
                        now);
        List<AliasInfo> after = new ArrayList<>();
        for (AliasInfo a : copy.aliasList(k)) {
            if (!a.name().equals(name)) {
                after.add(a);
            }
        }
        after.add(alias);
        var state = new FunctionState(f, after);
        commit(k, state, storage.putAlias(state, alias, expected));
        return new AliasWrite(alias, before.isEmpty());
    }

    /** Deletes an alias; {@code alias_not_found} when there is none. */
    public synchronized AliasInfo deleteAlias(String service, String function, String name) {
        FunctionName k = key(service, function);
        long expected = copy.revision(k);
        FunctionInfo f = require(service, function);
        AliasInfo alias = requireAlias(service, function, name);
        List<AliasInfo> after = new ArrayList<>(copy.aliasList(k));
        after.removeIf(a -> a.name().equals(name));
        var state = new FunctionState(f, after);
        commit(k, state, storage.deleteAlias(state, name, expected));
        return alias;
    }

    // --- what runs --------------------------------------------------------------------------

    /**
     * What an invocation through {@code qualifier} runs: LATEST, one version, or one of an alias's
     * versions chosen by its weight with {@code draw} (uniform in [0, 1)). No SQL for LATEST and
     * aliases; a version by number is read once, then from memory.
     *
     * @param pin a version the caller wants (it must be one the qualifier can run), or 0
     * @throws KilnException {@code function_not_found}, {@code version_not_found}, {@code
     *     alias_not_found}, or {@code bad_request} for a pin the qualifier cannot run
     */
    public Target target(
            String service, String function, Qualifier qualifier, int pin, double draw) {
        FunctionInfo f = require(service, function);
        // No pattern switch: it spins a class at its first run after a start (docs/adr/0079).
        VersionInfo v;
        if (qualifier instanceof Qualifier.Latest) {
            v = f.latest();
        } else if (qualifier instanceof Qualifier.Version n) {
            v = requireVersion(service, function, n.number());
        } else {
            AliasInfo alias = requireAlias(service, function, ((Qualifier.Alias) qualifier).name());
            if (pin != 0 && !alias.runs(pin)) {
                throw badPin(pin, qualifier);
            }
            v = requireVersion(service, function, pin != 0 ? pin : alias.pick(draw));
        }
        if (pin != 0 && v.number() != pin) {
            throw badPin(pin, qualifier);
        }
        if (v.number() == f.latest().number()) {
            return new Target(f, v, f.settings());
        }
        return new Target(f, v, f.settings().withCodeOf(v.settings()));
    }

    private static KilnException badPin(int pin, Qualifier qualifier) {
        return new KilnException(
                ErrorCode.BAD_REQUEST,
                "X-Kiln-Version-Pin: qualifier " + qualifier + " does not run version " + pin);
    }

    /**
     * The versions that take traffic: the newest (LATEST) and every version an alias sends a share
     * of its invocations to. Their pools are kept; others drain.
     */
    public java.util.Set<Integer> servingVersions(String service, String function) {
        FunctionInfo f = cache.get(key(service, function));
        if (f == null) {
            return java.util.Set.of();
        }
        return ServingVersions.takingTraffic(f, aliases(service, function));
    }

    /** The versions LATEST or an alias can run (the code to keep compiled), newest first. */
    public List<VersionInfo> referencedVersions(String service, String function) {
        FunctionInfo f = cache.get(key(service, function));
        if (f == null) {
            return List.of();
        }
        List<VersionInfo> out = new ArrayList<>();
        for (int n : ServingVersions.referenced(f, aliases(service, function))) {
            version(service, function, n).ifPresent(out::add);
        }
        return out;
    }

    @Override
    public synchronized void close() {
        storage.close();
    }

    /** Like {@link #find}, but a missing function is {@code function_not_found}. */
    public FunctionInfo require(String service, String function) {
        FunctionInfo f = cache.get(key(service, function));
        if (f == null && storage.shared()) {
            // Another node may have created it a moment ago: catch up once before saying no.
            storage.catchUp();
            f = cache.get(key(service, function));
        }
        if (f == null) {
            throw new KilnException(
                    ErrorCode.FUNCTION_NOT_FOUND,
                    "function " + key(service, function) + " does not exist");
        }
        return f;
    }

    private static void checkName(String what, String name) {
        FunctionName.checkName(what, name);
    }

    private static FunctionName key(String service, String function) {
        return new FunctionName(service, function);
    }
}
