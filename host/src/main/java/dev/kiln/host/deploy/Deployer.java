package dev.kiln.host.deploy;

import dev.kiln.host.config.CompileAt;
import dev.kiln.host.config.KilnConfig;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.FunctionName;
import dev.kiln.host.core.InvocationOutcome;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.core.Sha256;
import dev.kiln.host.invoke.Invoker;
import dev.kiln.host.pool.InstancePool;
import dev.kiln.host.pool.Isolation;
import dev.kiln.host.pool.MemoryBudgetException;
import dev.kiln.host.pool.PoolSpec;
import dev.kiln.host.pool.VersionKey;
import dev.kiln.host.quota.QuotaStore;
import dev.kiln.host.quota.ServiceQuota;
import dev.kiln.host.registry.FunctionInfo;
import dev.kiln.host.registry.FunctionSettings;
import dev.kiln.host.registry.Registry;
import dev.kiln.host.registry.VersionInfo;
import dev.kiln.host.sandbox.ModuleLimits;
import dev.kiln.host.sandbox.ModuleValidator;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates, updates and deletes functions. An upload is checked completely — settings, module
 * validation, compilation, a trial instantiation — before the registry is touched, so a refused
 * upload leaves everything as it was: no registry row, no module file, no instance, and no compiled
 * code in memory or in the disk cache unless a stored function uses the same code.
 *
 * <p>Run uploads and settings changes through a {@link DeployExecutor}: it bounds how many run at
 * once and gives each an {@link UploadDeadline}, which this class checks between steps and claims
 * ({@link UploadDeadline#commit}) before it stores anything.
 */
public final class Deployer {
    private static final Logger log = LoggerFactory.getLogger(Deployer.class);

    private final Registry registry;
    private final InstancePool pool;
    private final Invoker invoker;
    private final UploadReader uploads;
    private final SettingsRules rules;
    private final ModuleLimits moduleLimits;
    private final CompileAt compileAt;
    private final int minInstancesBudget;
    private final QuotaStore quotas;
    private final int keepVersions;

    /**
     * Code keys that uploads and settings changes are checking right now, with how many: their
     * compiled code must not be evicted by another upload's refusal. Guarded by {@code this}.
     */
    private final Map<VersionKey, Integer> checking = new HashMap<>();

    /** Loading stored functions' code after a start, or null before {@link #restoreAfterStart}. */
    private volatile CodeRestore restore;

    public Deployer(KilnConfig config, Registry registry, InstancePool pool, Invoker invoker) {
        this(config, registry, pool, invoker, null);
    }

    /**
     * @param quotas service quotas whose maxFunctions and maxMemoryMiB deploys must respect, or
     *     null for none
     */
    public Deployer(
            KilnConfig config,
            Registry registry,
            InstancePool pool,
            Invoker invoker,
            QuotaStore quotas) {
        this.quotas = quotas;
        this.registry = registry;
        this.pool = pool;
        this.invoker = invoker;
        this.uploads = new UploadReader(config.maxUploadBytes());
        this.rules = new SettingsRules(config);
        this.moduleLimits = config.moduleLimits();
        this.compileAt = config.compileAt();
        this.minInstancesBudget = config.minInstancesBudget();
        this.keepVersions = config.keepVersions();
    }

    /** {@link #deploy(String, String, String, byte[], UploadDeadline)} without a deadline. */
    public Deployment deploy(String service, String function, String contentType, byte[] body) {
        return deploy(service, function, contentType, body, UploadDeadline.none());
    }

    /**
     * Checks and stores an upload.
     *
     * @throws KilnException {@code upload_timeout} once {@code deadline} has passed (before
     *     anything was stored), or the reason the upload is refused
     */
    public Deployment deploy(
            String service,
            String function,
            String contentType,
            byte[] body,
            UploadDeadline deadline) {
        registry.requireRoom(); // before any work is spent on an upload that cannot be stored
        Upload upload = uploads.read(contentType, body);
        Optional<FunctionInfo> existing = registry.find(service, function);
        FunctionSettings settings =
                upload.settings()
                        .applyTo(
                                existing.map(FunctionInfo::settings)
                                        .orElse(FunctionSettings.DEFAULTS));
        try {
            rules.check(settings);
        } catch (KilnException e) {
            // Only kiln.json can have changed the settings: the upload is what is invalid.
            throw new KilnException(ErrorCode.INVALID_MODULE, "kiln.json: " + e.getMessage());
        }
        checkMinInstances(service, function, settings);
        checkQuota(service, function, settings);
        String sha = Sha256.hex(upload.wasm());
        if (registry.isNewestVersion(service, function, sha, settings)) {
            // The newest version again: no version, no compile; only the function's own
            // settings may have changed (docs/adr/0037).
            return new Deployment(applySettings(service, function, settings, deadline), false);
        }
        VersionKey key = VersionKey.of(sha, settings, moduleLimits);
        // Staged under the version it will most likely get; activated under the one it got.
        int version = existing.map(f -> f.latest().number() + 1).orElse(1);
        PoolSpec spec = spec(service, function, key, settings, version);
        InstancePool.Lease trial = null;
        boolean stored = false;
        startChecking(key);
        try {
            if (compileAt == CompileAt.UPLOAD) {
                trial = check(key, upload.wasm(), settings, ErrorCode.INVALID_MODULE);
            } else {
                ModuleValidator.validate(upload.wasm(), key.rules());
            }
            deadline.check();
            // The checked instance serves the first invocation (none for a wasi-cgi command with a
            // start function: it is not pooled).
            if (trial != null) {
                pool.adopt(spec, () -> registry.readModule(sha), trial);
                trial = null;
            }
            // With minInstances, the new code is warm before it takes any traffic.
            if (settings.minInstances() > 0) {
                keepWarm(spec, upload::wasm, () -> registry.readModule(sha));
            }
            FunctionInfo info;
            // Storing and evicting share one lock, so a concurrent delete of another function
            // with the same code cannot evict it between our check and our registration.
            synchronized (this) {
                // Again under the lock: two uploads checked at once must not both take the last
                // room in the quota.
                checkQuota(service, function, settings);
                deadline.commit(); // past the deadline, nothing is stored
                info = registry.deploy(service, function, upload.wasm(), settings);
                stored = true;
                if (compileAt == CompileAt.UPLOAD) {
                    pool.prepare(key, upload::wasm); // again, in case an eviction won the race
                }
                // The old version's pool drains unless an alias sends it traffic: in-flight
                // invocations finish on its instances.
                pool.activate(
                        spec(service, function, key, settings, info.latest().number()),
                        () -> registry.readModule(sha),
                        registry.servingVersions(service, function));
                existing.ifPresent(old -> evictIfUnused(keyOf(old.latest())));
                prune(service, function);
            }
            log.info(
                    "deployed {}/{} version {} ({} bytes, sha256 {})",
                    service,
                    function,
                    info.latest().number(),
                    upload.wasm().length,
                    sha);
            return new Deployment(info, existing.isEmpty());
        } finally {
            if (trial != null) {
                pool.release(trial); // refused: close the checked instance
            }
            if (!stored) {
                pool.discardStaged(spec);
            }
            stopChecking(key, stored);
        }
    }

    /** {@link #patch(String, String, SettingsPatch, UploadDeadline)} without a deadline. */
    public FunctionInfo patch(String service, String function, SettingsPatch patch) {
        return patch(service, function, patch, UploadDeadline.none());
    }

    /**
     * Changes a function's settings; new code-shaping settings (handler, memory cap, ABI) are
     * checked like an upload, under {@code deadline}.
     */
    public FunctionInfo patch(
            String service, String function, SettingsPatch patch, UploadDeadline deadline) {
        FunctionInfo current = registry.require(service, function);
        FunctionSettings settings = patch.applyTo(current.settings());
        rules.check(settings);
        checkMinInstances(service, function, settings);
        checkQuota(service, function, settings);
        return applySettings(service, function, settings, deadline);
    }

    /**
     * Stores new settings for the function's stored code: a change to a code setting makes a new
     * version of the same bytes (checked like an upload when it shapes the compiled code), any
     * other change only the function's settings.
     */
    private FunctionInfo applySettings(
            String service, String function, FunctionSettings settings, UploadDeadline deadline) {
        FunctionInfo current = registry.require(service, function);
        String sha = current.latest().sha256();
        VersionKey key = VersionKey.of(sha, settings, moduleLimits);
        VersionKey oldKey = keyOf(current.latest());
        boolean newVersion = !settings.sameCodeAs(current.settings());
        // Staged under the version it will most likely get; activated under the one it got.
        int version = newVersion ? current.latest().number() + 1 : current.latest().number();
        PoolSpec spec = spec(service, function, key, settings, version);
        InstancePool.Lease trial = null;
        boolean stored = false;
        startChecking(key);
        try {
            // New handler or memory cap: the stored module must still satisfy them.
            if (!key.equals(oldKey)) {
                byte[] wasm = registry.readModule(sha);
                if (compileAt == CompileAt.UPLOAD) {
                    trial = check(key, wasm, settings, ErrorCode.BAD_REQUEST);
                } else {
                    try {
                        ModuleValidator.validate(wasm, key.rules());
                    } catch (KilnException e) {
                        throw new KilnException(ErrorCode.BAD_REQUEST, e.getMessage());
                    }
                }
            }
            deadline.check();
            if (trial != null) {
                pool.adopt(spec, () -> registry.readModule(sha), trial);
                trial = null;
            }
            if (settings.minInstances() > 0) {
                keepWarm(spec, () -> registry.readModule(sha), () -> registry.readModule(sha));
            }
            synchronized (this) {
                checkQuota(service, function, settings);
                deadline.commit();
                FunctionInfo updated = registry.updateSettings(service, function, settings);
                stored = true;
                if (compileAt == CompileAt.UPLOAD && !key.equals(oldKey)) {
                    // Again, in case another function's update or delete evicted it meanwhile.
                    pool.prepare(key, () -> registry.readModule(sha));
                }
                pool.activate(
                        spec(service, function, key, settings, updated.latest().number()),
                        () -> registry.readModule(sha),
                        registry.servingVersions(service, function));
                if (!key.equals(oldKey)) {
                    // A new handler, memory cap or ABI is new code; the old may now be unused.
                    evictIfUnused(oldKey);
                }
                if (newVersion) {
                    prune(service, function);
                }
                return updated;
            }
        } finally {
            if (trial != null) {
                pool.release(trial);
            }
            if (!stored) {
                pool.discardStaged(spec);
            }
            stopChecking(key, stored);
        }
    }

    /** Deletes the versions the retention setting lets go, and their code if nothing uses it. */
    private void prune(String service, String function) {
        for (VersionInfo v : registry.prune(service, function, keepVersions)) {
            evictIfUnused(keyOf(v));
        }
    }

    /**
     * After the function's aliases or versions changed: pools of versions no traffic reaches drain,
     * and the code of {@code released} versions goes unless something still runs it.
     */
    synchronized void settle(String service, String function, List<VersionInfo> released) {
        registry.find(service, function)
                .ifPresent(
                        f ->
                                pool.serveOnly(
                                        new FunctionName(service, function),
                                        registry.servingVersions(service, function),
                                        Isolation.fromWire(f.settings().isolation())
                                                .orElse(Isolation.FRESH)));
        for (VersionInfo v : released) {
            evictIfUnused(keyOf(v));
        }
    }

    /**
     * After a start: functions with minInstances get their instances back in the background (code
     * from the disk cache), and with {@link CompileAt#UPLOAD} the code of every version stored
     * functions run is loaded back into memory on a thread of its own, as their uploads left it
     * (docs/adr/0068).
     */
    public void restoreAfterStart() {
        for (String service : registry.services()) {
            for (FunctionInfo f : registry.functions(service)) {
                if (f.settings().minInstances() > 0) {
                    String sha = f.latest().sha256();
                    pool.activate(PoolSpec.of(f, moduleLimits), () -> registry.readModule(sha));
                }
            }
        }
        if (compileAt == CompileAt.UPLOAD && restore == null) {
            restore = CodeRestore.start(registry, this, pool.memoryBudget());
        }
    }

    /**
     * Whether {@link #restoreAfterStart}'s loading finished within {@code timeout} (at once when
     * there is none).
     */
    public boolean awaitCodeRestored(Duration timeout) throws InterruptedException {
        CodeRestore r = restore;
        return r == null || r.await(timeout);
    }

    /** Stops {@link #restoreAfterStart}'s loading, waiting for the version under way. */
    public void stopRestoringCode() {
        CodeRestore r = restore;
        if (r != null) {
            r.close(Duration.ofSeconds(30));
        }
    }

    /**
     * Loads {@code version}'s code unless the function no longer runs it. Under this object's lock,
     * so that a delete or update in between cannot leave code in memory that nothing runs.
     *
     * @return whether this call loaded (or compiled) the code
     */
    synchronized boolean restoreCode(String service, String function, VersionInfo version) {
        if (!registry.referencedVersions(service, function).contains(version)) {
            return false;
        }
        return pool.prepare(keyOf(version), () -> registry.readModule(version.sha256()));
    }

    public void delete(String service, String function) {
        FunctionInfo current = registry.require(service, function);
        synchronized (this) {
            List<VersionInfo> ran = registry.referencedVersions(service, function);
            registry.delete(service, function);
            pool.retire(new FunctionName(service, function));
            evictIfUnused(keyOf(current.latest()));
            for (VersionInfo v : ran) {
                evictIfUnused(keyOf(v));
            }
        }
        invoker.forget(service, function);
        log.info("deleted {}/{}", service, function);
    }

    private static PoolSpec spec(
            String service,
            String function,
            VersionKey key,
            FunctionSettings settings,
            int version) {
        return new PoolSpec(
                new FunctionName(service, function),
                key,
                Isolation.fromWire(settings.isolation()).orElseThrow(),
                settings.minInstances(),
                settings.maxInstances(),
                version);
    }

    /**
     * The service's quota must leave room for {@code function} with {@code settings}: a new
     * function needs room under maxFunctions, and the memoryMiB of all its functions must stay
     * within maxMemoryMiB. A change that does not add to what the service uses is always allowed,
     * so a quota lowered below current use blocks growth without blocking updates.
     */
    private void checkQuota(String service, String function, FunctionSettings settings) {
        if (quotas == null) {
            return;
        }
        ServiceQuota quota = quotas.get(service);
        if (quota.maxFunctions() == null && quota.maxMemoryMiB() == null) {
            return;
        }
        int count = 0;
        long memory = 0;
        FunctionInfo existing = null;
        for (FunctionInfo f : registry.functions(service)) {
            if (f.name().equals(function)) {
                existing = f;
            } else {
                count++;
                memory += f.settings().memoryMiB();
            }
        }
        if (existing == null && quota.maxFunctions() != null && count + 1 > quota.maxFunctions()) {
            throw new KilnException(
                    ErrorCode.QUOTA_EXCEEDED,
                    "service "
                            + service
                            + " holds "
                            + count
                            + " functions; its quota allows "
                            + quota.maxFunctions());
        }
        long wanted = memory + settings.memoryMiB();
        long before = existing == null ? memory : memory + existing.settings().memoryMiB();
        if (quota.maxMemoryMiB() != null && wanted > quota.maxMemoryMiB() && wanted > before) {
            throw new KilnException(
                    ErrorCode.QUOTA_EXCEEDED,
                    "the functions of service "
                            + service
                            + " would have "
                            + wanted
                            + " MiB of memory (memoryMiB added up); its quota allows "
                            + quota.maxMemoryMiB());
        }
    }

    /** All functions' minInstances together must leave room for on-demand instances. */
    private void checkMinInstances(String service, String function, FunctionSettings settings) {
        if (settings.minInstances() == 0) {
            return;
        }
        long others = 0;
        for (String s : registry.services()) {
            for (FunctionInfo f : registry.functions(s)) {
                if (!(f.service().equals(service) && f.name().equals(function))) {
                    others += f.settings().minInstances();
                }
            }
        }
        if (others + settings.minInstances() > minInstancesBudget) {
            throw new KilnException(
                    ErrorCode.BAD_REQUEST,
                    "minInstances of "
                            + settings.minInstances()
                            + " does not fit: other functions keep "
                            + others
                            + " and the host allows "
                            + minInstancesBudget
                            + " in all (its instance limit minus one per worker)");
        }
    }

    /**
     * Creates {@code spec}'s minInstances, compiling its code first ({@code wasm} the bytes at
     * hand, {@code stored} the registry's); refused for a module whose instances are not pooled (a
     * wasi-cgi command with a start function gets a new instance per invocation, docs/adr/0066).
     */
    private void keepWarm(PoolSpec spec, Supplier<byte[]> wasm, Supplier<byte[]> stored) {
        if (!pool.code(spec.key(), wasm).module().pooled()) { // compiles it if needed
            throw new KilnException(
                    ErrorCode.BAD_REQUEST,
                    "minInstances needs pooled instances: this wasi-cgi command has a start"
                            + " function, so every invocation gets a new instance");
        }
        pool.warm(spec, stored);
    }

    /**
     * Validates, compiles and trial-instantiates; failures become {@code code}. Returns the trial
     * instance, to be adopted by the function's pool once the function is stored, or null for ABIs
     * that do not pool instances (wasi-cgi).
     */
    private InstancePool.Lease check(
            VersionKey key, byte[] wasm, FunctionSettings settings, ErrorCode code) {
        try {
            pool.prepare(key, () -> wasm);
        } catch (MemoryBudgetException e) {
            throw e; // no room for its code: insufficient_capacity, not the module's fault
        } catch (KilnException e) {
            throw new KilnException(code, e.getMessage());
        }
        var trial = invoker.tryInstantiate(key, wasm, settings.timeoutMs());
        if (trial.failure() instanceof InvocationOutcome.Overloaded o) {
            throw new KilnException(ErrorCode.OVERLOADED, o.message());
        }
        if (trial.failure() != null) {
            throw new KilnException(
                    code, "module failed to instantiate: " + trial.failure().message());
        }
        return trial.lease();
    }

    private synchronized void startChecking(VersionKey key) {
        checking.merge(key, 1, Integer::sum);
    }

    /**
     * Ends a check of {@code key}. A refused one leaves no compiled code behind (in memory or in
     * the disk cache) unless a stored function, or another check under way, uses the same code.
     */
    private synchronized void stopChecking(VersionKey key, boolean stored) {
        checking.computeIfPresent(key, (k, n) -> n == 1 ? null : n - 1);
        if (!stored) {
            evictIfUnused(key);
        }
    }

    /** A version's code key: its bytes under its own code settings. */
    private VersionKey keyOf(VersionInfo v) {
        return VersionKey.of(v.sha256(), v.settings(), moduleLimits);
    }

    /**
     * Drops {@code key}'s compiled code when no stored function runs it any more through LATEST or
     * an alias (ADR 0007, ADR 0037) and no check under way is compiling or using it. The disk cache
     * holds one entry per content hash (the instrumented module does not depend on handler, memory
     * cap or ABI), so it goes only when no function or check uses the hash at all. Call with this
     * object's lock held.
     */
    private void evictIfUnused(VersionKey key) {
        boolean hashUsed = false;
        for (VersionKey k : checking.keySet()) {
            if (k.sha256().equals(key.sha256())) {
                if (k.equals(key)) {
                    return;
                }
                hashUsed = true;
            }
        }
        for (String service : registry.services()) {
            for (FunctionInfo f : registry.functions(service)) {
                // LATEST and every version an alias points at can run: their code stays.
                for (VersionInfo v : registry.referencedVersions(service, f.name())) {
                    if (v.sha256().equals(key.sha256())) {
                        if (keyOf(v).equals(key)) {
                            return;
                        }
                        hashUsed = true;
                    }
                }
            }
        }
        if (hashUsed) {
            pool.evict(key);
        } else {
            pool.evict(key.sha256());
        }
    }
}
