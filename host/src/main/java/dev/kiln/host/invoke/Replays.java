package dev.kiln.host.invoke;

import dev.kiln.host.config.KilnConfig;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.pool.InstancePool;
import dev.kiln.host.pool.VersionKey;
import dev.kiln.host.registry.FunctionInfo;
import dev.kiln.host.registry.Registry;
import dev.kiln.host.replay.Recording;
import dev.kiln.host.replay.RecordingJson;
import dev.kiln.host.replay.RecordingStore;
import dev.kiln.host.replay.ReplayResult;
import dev.kiln.host.replay.SecretSeal;
import dev.kiln.host.sandbox.Abi;
import dev.kiln.host.sandbox.CompiledModule;
import dev.kiln.host.sandbox.ModuleRules;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The server's replay and export of recorded invocations (docs/adr/0041): finds the recording,
 * takes the recorded version's compiled code (compiled now if no pool holds it, whatever version
 * LATEST runs today) and hands both to the {@link ReplayRunner}.
 */
public final class Replays {
    private final KilnConfig config;
    private final Registry registry;
    private final InstancePool pool;
    private final RecordingStore store;
    private final ReplayRunner runner;

    public Replays(
            KilnConfig config,
            Registry registry,
            InstancePool pool,
            RecordingStore store,
            ReplayRunner runner) {
        this.config = config;
        this.registry = registry;
        this.pool = pool;
        this.store = store;
        this.runner = runner;
    }

    /** Runs the recorded invocation again and compares. */
    public ReplayResult replay(String service, String function, String requestId) {
        FunctionInfo f = registry.require(service, function);
        Recording r = recording(f, requestId);
        CompiledModule module = code(r);
        Map<String, Path> grants = new LinkedHashMap<>();
        if (module.abi() == Abi.WASI_CGI) {
            // Granted files are the operator's and are not recorded: the function's grants now.
            f.settings().wasiReadOnlyDirs().forEach((g, h) -> grants.put(g, Path.of(h)));
        }
        return runner.run(r, module, Map.of(), grants, config.wasiDirRoots());
    }

    /**
     * The recording as a self-contained file: with the module's bytes; secret values in clear only
     * for {@code clearSecrets} (an administrator), else redacted.
     */
    public byte[] export(String service, String function, String requestId, boolean clearSecrets) {
        Recording r = recording(registry.require(service, function), requestId);
        return RecordingJson.write(
                r,
                clearSecrets ? RecordingJson.Secrets.CLEAR : RecordingJson.Secrets.REDACTED,
                SecretSeal.NONE,
                registry.readModule(r.sha256()));
    }

    /** Drops a deleted function's recordings. */
    public void functionDeleted(String service, String function) {
        store.deleteFunction(service, function);
    }

    private Recording recording(FunctionInfo f, String requestId) {
        return store.get(f.service(), f.name(), requestId)
                .orElseThrow(
                        () ->
                                new KilnException(
                                        ErrorCode.RECORDING_NOT_FOUND,
                                        "no recording of invocation "
                                                + requestId
                                                + " of this function (see its record setting)"));
    }

    private CompiledModule code(Recording r) {
        Abi abi =
                Abi.byWire(r.abi())
                        .orElseThrow(
                                () ->
                                        new KilnException(
                                                ErrorCode.BAD_REQUEST,
                                                "the recording names an unknown abi " + r.abi()));
        VersionKey key =
                new VersionKey(
                        r.sha256(),
                        new ModuleRules(r.handler(), r.memoryMiB(), config.moduleLimits(), abi));
        return pool.code(key, () -> registry.readModule(r.sha256())).module();
    }
}
