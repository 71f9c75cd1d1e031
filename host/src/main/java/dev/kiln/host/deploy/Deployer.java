package dev.kiln.host.deploy;

import dev.kiln.host.config.KilnConfig;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.core.Sha256;
import dev.kiln.host.invoke.Invoker;
import dev.kiln.host.pool.InstancePool;
import dev.kiln.host.pool.VersionKey;
import dev.kiln.host.registry.FunctionInfo;
import dev.kiln.host.registry.FunctionSettings;
import dev.kiln.host.registry.Registry;
import dev.kiln.host.sandbox.ModuleLimits;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates, updates and deletes functions. An upload is checked completely — settings, module
 * validation, compilation, a trial instantiation — before the registry is touched, so a refused
 * upload leaves everything as it was.
 */
public final class Deployer {
    private static final Logger log = LoggerFactory.getLogger(Deployer.class);

    private final Registry registry;
    private final InstancePool pool;
    private final Invoker invoker;
    private final UploadReader uploads;
    private final SettingsRules rules;
    private final ModuleLimits moduleLimits;

    public Deployer(KilnConfig config, Registry registry, InstancePool pool, Invoker invoker) {
        this.registry = registry;
        this.pool = pool;
        this.invoker = invoker;
        this.uploads = new UploadReader(config.maxUploadBytes());
        this.rules = new SettingsRules(config);
        this.moduleLimits = config.moduleLimits();
    }

    public Deployment deploy(String service, String function, String contentType, byte[] body) {
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
        String sha = Sha256.hex(upload.wasm());
        VersionKey key = VersionKey.of(sha, settings, moduleLimits);
        InstancePool.Lease trial = check(key, upload.wasm(), settings, ErrorCode.INVALID_MODULE);
        FunctionInfo stored;
        // Storing and evicting share one lock, so a concurrent delete of another function with
        // the same code cannot evict it between our check and our registration.
        synchronized (this) {
            stored = registry.deploy(service, function, upload.wasm(), settings);
            pool.prepare(key, upload::wasm); // again, in case an eviction won the race
            if (trial != null) {
                pool.release(trial); // the checked instance serves the first invocation
            }
            existing.ifPresent(old -> evictIfUnused(old.latest().sha256()));
        }
        log.info(
                "deployed {}/{} version {} ({} bytes, sha256 {})",
                service,
                function,
                stored.latest().number(),
                upload.wasm().length,
                sha);
        return new Deployment(stored, existing.isEmpty());
    }

    public FunctionInfo patch(String service, String function, SettingsPatch patch) {
        FunctionInfo current = registry.require(service, function);
        FunctionSettings settings = patch.applyTo(current.settings());
        rules.check(settings);
        String sha = current.latest().sha256();
        VersionKey key = VersionKey.of(sha, settings, moduleLimits);
        // New handler, memory cap or abi: the stored module must still satisfy them.
        InstancePool.Lease trial =
                check(key, registry.readModule(sha), settings, ErrorCode.BAD_REQUEST);
        synchronized (this) {
            FunctionInfo updated = registry.updateSettings(service, function, settings);
            if (trial != null) {
                pool.release(trial);
            }
            return updated;
        }
    }

    public void delete(String service, String function) {
        FunctionInfo current = registry.require(service, function);
        synchronized (this) {
            registry.delete(service, function);
            evictIfUnused(current.latest().sha256());
        }
        log.info("deleted {}/{}", service, function);
    }

    /**
     * Validates, compiles and trial-instantiates; failures become {@code code}. Returns the trial
     * instance, to be released into the pool once the function is stored, or null for ABIs that do
     * not pool instances (wasi-cgi).
     */
    private InstancePool.Lease check(
            VersionKey key, byte[] wasm, FunctionSettings settings, ErrorCode code) {
        try {
            pool.prepare(key, () -> wasm);
        } catch (KilnException e) {
            throw new KilnException(code, e.getMessage());
        }
        var trial = invoker.tryInstantiate(key, wasm, settings.timeoutMs());
        if (trial.failure() != null) {
            throw new KilnException(
                    code, "module failed to instantiate: " + trial.failure().message());
        }
        return trial.lease();
    }

    /** Call with this object's lock held. */
    private void evictIfUnused(String sha) {
        for (String service : registry.services()) {
            for (FunctionInfo f : registry.functions(service)) {
                if (f.latest().sha256().equals(sha)) {
                    return;
                }
            }
        }
        pool.evict(sha);
    }
}
