package dev.kiln.host.invoke;

import dev.kiln.host.core.FunctionName;
import dev.kiln.host.registry.FunctionInfo;
import dev.kiln.host.registry.Target;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What a guest reads with {@code config_get} (and, for wasi-cgi, in its environment): its function
 * version's env with the function's secrets laid over it, cached per version and rebuilt when
 * either changes (versions of one function may have different env: docs/adr/0037).
 */
final class GuestConfigs {
    private final SecretSource secrets;
    private final Map<Key, Merged> cache = new ConcurrentHashMap<>();

    private record Key(FunctionName function, int version) {}

    private record Merged(
            Map<String, String> env, Map<String, String> secrets, Map<String, String> merged) {
        /**
         * Whether {@code merged} was built from these very maps. Identity, not equality: both are
         * immutable snapshots replaced on every change, and comparing contents on each invocation
         * would cost what the cache saves.
         */
        @SuppressWarnings("ReferenceEquality")
        boolean sameSources(Map<String, String> env, Map<String, String> secrets) {
            return this.env == env && this.secrets == secrets;
        }
    }

    GuestConfigs(SecretSource secrets) {
        this.secrets = secrets;
    }

    /** The function's secrets, decrypted (names and values). */
    Map<String, String> secretsOf(FunctionInfo function) {
        return secrets.secrets(function.service(), function.name());
    }

    /**
     * The env of {@code target}'s version with its function's secrets over it: a name set as both
     * is the secret's value.
     */
    Map<String, String> of(Target target) {
        FunctionInfo function = target.function();
        Map<String, String> env = target.settings().env();
        Map<String, String> own = secretsOf(function);
        if (own.isEmpty()) {
            return env;
        }
        Key key =
                new Key(
                        new FunctionName(function.service(), function.name()),
                        target.version().number());
        Merged cached = cache.get(key);
        if (cached != null && cached.sameSources(env, own)) {
            return cached.merged();
        }
        Map<String, String> merged = new HashMap<>(env);
        merged.putAll(own);
        Merged fresh = new Merged(env, own, Map.copyOf(merged));
        cache.put(key, fresh);
        return fresh.merged();
    }

    /** Drops a deleted function's cached configs. */
    void forget(FunctionName name) {
        cache.keySet().removeIf(k -> k.function().equals(name));
    }
}
