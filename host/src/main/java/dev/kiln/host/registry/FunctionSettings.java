package dev.kiln.host.registry;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A function's settings, kept across uploads. Those that belong to the code (handler, abi,
 * timeoutMs, memoryMiB, env, fuel) are also part of each version and run with it; the others are
 * the function's and apply to every version (docs/adr/0037, {@link #withCodeOf}).
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
 * @param record which invocations are recorded for replay: {@code none}, {@code failures} (the
 *     default) or {@code all} (docs/adr/0041)
 * @param allowedOutboundHosts where the guest's {@code http_send} may go, in Spin's shape ({@code
 *     ["https://api.example.com", "http://*.internal.example:8080"]}); empty (the default) denies
 *     every request (docs/adr/0040)
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
        String httpAuth,
        String record,
        List<String> allowedOutboundHosts) {

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
                    "anonymous",
                    "failures",
                    List.of());

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
        if (record == null) { // settings stored before record existed
            record = "failures";
        }
        // Immutable already, so InvocationContext's defensive copy on every invocation is free.
        env = Map.copyOf(env);
        // Absent in settings stored before the field existed.
        wasiReadOnlyDirs = wasiReadOnlyDirs == null ? Map.of() : Map.copyOf(wasiReadOnlyDirs);
        // Absent in settings stored before outbound HTTP existed: no access.
        allowedOutboundHosts =
                allowedOutboundHosts == null ? List.of() : List.copyOf(allowedOutboundHosts);
    }

    /** These settings as they were before {@code allowedOutboundHosts}: no outbound access. */
    public FunctionSettings(
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
            String httpAuth,
            String record) {
        this(
                handler,
                abi,
                timeoutMs,
                memoryMiB,
                env,
                description,
                fuel,
                maxConcurrency,
                wasiReadOnlyDirs,
                isolation,
                minInstances,
                maxInstances,
                httpAuth,
                record,
                List.of());
    }

    /**
     * Whether {@code other} has the same settings that belong to the code (handler, abi, timeoutMs,
     * memoryMiB, env, fuel): those are part of a version, so a change to any of them makes a new
     * version (docs/adr/0037).
     */
    public boolean sameCodeAs(FunctionSettings other) {
        return handler.equals(other.handler)
                && abi.equals(other.abi)
                && timeoutMs == other.timeoutMs
                && memoryMiB == other.memoryMiB
                && env.equals(other.env)
                && fuel == other.fuel;
    }

    /**
     * These runtime settings (the function's: description, concurrency, instances, isolation,
     * httpAuth, record, directory grants, allowed outbound hosts) with the code settings of {@code
     * version}: what a version runs with now.
     */
    public FunctionSettings withCodeOf(FunctionSettings version) {
        if (sameCodeAs(version)) {
            return this;
        }
        return new FunctionSettings(
                version.handler,
                version.abi,
                version.timeoutMs,
                version.memoryMiB,
                version.env,
                description,
                version.fuel,
                maxConcurrency,
                wasiReadOnlyDirs,
                isolation,
                minInstances,
                maxInstances,
                httpAuth,
                record,
                allowedOutboundHosts);
    }

    /** Whether the HTTP trigger requires a key with invoke rights on the service. */
    public boolean httpAuthKey() {
        return "key".equals(httpAuth);
    }
}
