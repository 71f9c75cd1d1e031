package dev.kiln.host.registry;

import java.util.Map;
import java.util.Objects;

/**
 * A function's settings. They belong to the function (not to a version) and persist across uploads.
 *
 * @param handler the export called per invocation (kiln ABI)
 * @param abi {@code kiln} or {@code wasi-cgi}
 * @param env config values the guest reads with {@code kiln.config_get}, or in its environment
 *     (wasi-cgi)
 * @param fuel fuel budget per invocation; 0 means derived from the timeout
 * @param maxConcurrency invocations of this function in flight at once; 0 means no limit of its own
 *     (the host's worker pool and queue still apply)
 * @param wasiReadOnlyDirs host directories a wasi-cgi function may read, by the path the guest sees
 *     them at (e.g. {@code /data} to {@code /srv/kiln/site}); set by an administrator with PATCH
 *     only, within the host's {@code --wasi-dir-root}s
 * @param isolation {@code fresh} (every invocation sees the post-init snapshot) or {@code reuse}
 *     (state carries over between invocations of one instance)
 * @param minInstances instances kept ready at all times, like provisioned concurrency
 * @param maxInstances most instances alive at once; 0 means no limit of its own
 * @param httpAuth who may call the HTTP trigger: {@code anonymous} (anyone) or {@code key} (a key
 *     with invoke rights on the service, docs/adr/0033)
 */
public record FunctionSettings(
        String handler,
        String abi,
        int timeoutMs,
        int memoryMiB,
        Map<String, String> env,
        String description,
        long fuel,
        int maxConcurrency,
        Map<String, String> wasiReadOnlyDirs,
        String isolation,
        int minInstances,
        int maxInstances,
        String httpAuth) {

    public static final FunctionSettings DEFAULTS =
            new FunctionSettings(
                    "kiln_handle",
                    "kiln",
                    10_000,
                    64,
                    Map.of(),
                    "",
                    0,
                    0,
                    Map.of(),
                    "fresh",
                    0,
                    0,
                    "anonymous");

    public FunctionSettings {
        Objects.requireNonNull(handler, "handler");
        Objects.requireNonNull(abi, "abi");
        Objects.requireNonNull(description, "description");
        if (isolation == null) { // settings stored before isolation existed
            isolation = "fresh";
        }
        if (httpAuth == null) { // settings stored before httpAuth existed
            httpAuth = "anonymous";
        }
        // Immutable already, so InvocationContext's defensive copy on every invocation is free.
        env = Map.copyOf(env);
        // Absent in settings stored before the field existed.
        wasiReadOnlyDirs = wasiReadOnlyDirs == null ? Map.of() : Map.copyOf(wasiReadOnlyDirs);
    }

    /** Whether the HTTP trigger requires a key with invoke rights on the service. */
    public boolean httpAuthKey() {
        return "key".equals(httpAuth);
    }
}
