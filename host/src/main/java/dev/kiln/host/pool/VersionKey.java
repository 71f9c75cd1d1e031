package dev.kiln.host.pool;

import dev.kiln.host.registry.FunctionSettings;
import dev.kiln.host.sandbox.Abi;
import dev.kiln.host.sandbox.ModuleLimits;
import dev.kiln.host.sandbox.ModuleRules;

/**
 * Identifies compiled code: the module's content hash plus the rules it was validated under
 * (handler, memory cap and ABI change what an instance looks like, so they are part of the key).
 */
public record VersionKey(String sha256, ModuleRules rules) {

    /**
     * The key of a function's code under its settings. Deploy and invoke both derive keys here, so
     * the code compiled at upload is the code invocations find.
     */
    public static VersionKey of(String sha256, FunctionSettings settings, ModuleLimits limits) {
        Abi abi =
                Abi.byWire(settings.abi())
                        .orElseThrow(
                                () ->
                                        new IllegalArgumentException(
                                                "unknown abi " + settings.abi()));
        return new VersionKey(
                sha256, new ModuleRules(settings.handler(), settings.memoryMiB(), limits, abi));
    }

    /**
     * The content hash alone: a String caches its hash, while the generated record hash would walk
     * every field of the rules and limits on each pool lookup (several per invocation). Keys that
     * differ only in their rules share a bucket; {@code equals} still tells them apart.
     */
    @Override
    public int hashCode() {
        return sha256.hashCode();
    }
}
