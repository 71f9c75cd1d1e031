package dev.kiln.host.deploy;

import dev.kiln.host.config.KilnConfig;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.outbound.AllowedHosts;
import dev.kiln.host.pool.Isolation;
import dev.kiln.host.registry.FunctionSettings;
import dev.kiln.host.sandbox.Abi;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** Checks function settings against the host's limits before anything is stored. */
final class SettingsRules {
    static final int MAX_ENV_ENTRIES = SettingsLimits.FIXED.maxEnvEntries();
    static final int MAX_ENV_BYTES = SettingsLimits.FIXED.maxEnvBytes();
    static final int MAX_DESCRIPTION = SettingsLimits.FIXED.maxDescriptionChars();
    static final int MAX_HANDLER = SettingsLimits.FIXED.maxHandlerChars();
    static final int MAX_CONCURRENCY = SettingsLimits.FIXED.maxConcurrency();
    static final int MAX_DIRS = 8;
    private static final Pattern GUEST_DIR = Pattern.compile("(/[A-Za-z0-9._-]{1,64}){1,8}");
    static final Set<String> HTTP_AUTH = Set.of("anonymous", "key");
    private static final Pattern ENV_KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]{0,127}");

    private final KilnConfig config;

    SettingsRules(KilnConfig config) {
        this.config = config;
    }

    void check(FunctionSettings s) {
        if (s.handler().isEmpty() || s.handler().length() > MAX_HANDLER) {
            throw bad("handler must be 1.." + MAX_HANDLER + " characters");
        }
        Abi abi =
                Abi.byWire(s.abi())
                        .orElseThrow(
                                () ->
                                        bad(
                                                "abi '"
                                                        + s.abi()
                                                        + "' is not supported by this host;"
                                                        + " supported: "
                                                        + String.join(
                                                                ", ",
                                                                SettingsLimits.FIXED.abis())));
        long maxTimeout = config.maxTimeout().toMillis();
        if (s.timeoutMs() < 1 || s.timeoutMs() > maxTimeout) {
            throw bad("timeoutMs must be between 1 and " + maxTimeout);
        }
        if (s.memoryMiB() < 1 || s.memoryMiB() > config.maxMemoryMiB()) {
            throw bad("memoryMiB must be between 1 and " + config.maxMemoryMiB());
        }
        if (s.description().length() > MAX_DESCRIPTION) {
            throw bad("description is longer than " + MAX_DESCRIPTION + " characters");
        }
        if (s.fuel() < 0 || s.fuel() > config.maxFuel()) {
            throw bad("fuel must be between 0 (derived from the timeout) and " + config.maxFuel());
        }
        if (s.maxConcurrency() < 0 || s.maxConcurrency() > MAX_CONCURRENCY) {
            throw bad("maxConcurrency must be between 0 (no limit) and " + MAX_CONCURRENCY);
        }
        if (Isolation.fromWire(s.isolation()).isEmpty()) {
            throw bad("isolation must be fresh or reuse");
        }
        if (!HTTP_AUTH.contains(s.httpAuth())) {
            throw bad("httpAuth must be anonymous or key");
        }
        if (dev.kiln.host.replay.RecordMode.fromWire(s.record()).isEmpty()) {
            throw bad("record must be none, failures or all");
        }
        int maxInstances = config.maxInstances();
        if (s.maxInstances() < 0 || s.maxInstances() > maxInstances) {
            throw bad(
                    "maxInstances must be between 0 (the host limit only) and the host's instance"
                            + " limit of "
                            + maxInstances);
        }
        if (s.minInstances() < 0 || s.minInstances() > maxInstances) {
            throw bad("minInstances must be between 0 and " + maxInstances);
        }
        if (s.maxInstances() > 0 && s.minInstances() > s.maxInstances()) {
            throw bad("minInstances must not exceed maxInstances");
        }
        // A wasi-cgi command starts every request from its state as instantiated (docs/adr/0066):
        // there is no state to reuse. Its pooled instances can be kept warm (minInstances), unless
        // it has a start function, which the deployer checks once the module is compiled.
        if (abi == Abi.WASI_CGI && !Isolation.FRESH.wire().equals(s.isolation())) {
            throw bad(
                    "isolation reuse applies to the kiln ABI only; a wasi-cgi command starts"
                            + " every request from its state as instantiated");
        }
        checkEnv(s.env());
        checkDirs(abi, s.wasiReadOnlyDirs());
        // Throws invalid_outbound_host (400) naming the entry (docs/adr/0040).
        AllowedHosts.parse(s.allowedOutboundHosts());
    }

    /**
     * Grants are for wasi-cgi functions only, name a guest path like {@code /data}, and an existing
     * host directory inside one of the host's {@code wasiDirRoots}.
     */
    private void checkDirs(Abi abi, Map<String, String> dirs) {
        if (dirs.isEmpty()) {
            return;
        }
        if (abi != Abi.WASI_CGI) {
            throw bad("wasiReadOnlyDirs needs abi wasi-cgi");
        }
        if (dirs.size() > MAX_DIRS) {
            throw bad("wasiReadOnlyDirs has more than " + MAX_DIRS + " entries");
        }
        if (config.wasiDirRoots().isEmpty()) {
            throw bad(
                    "this host grants no directories: start it with --wasi-dir-root to allow"
                            + " wasiReadOnlyDirs");
        }
        for (var e : dirs.entrySet()) {
            if (!isGuestDir(e.getKey())) {
                throw bad(
                        "wasiReadOnlyDirs key '"
                                + printable(e.getKey())
                                + "' must be an absolute guest path such as /data");
            }
            Path real = realDirectory(e.getValue());
            boolean allowed = false;
            for (Path root : config.wasiDirRoots()) {
                try {
                    if (real.startsWith(root.toRealPath())) {
                        allowed = true;
                        break;
                    }
                } catch (IOException ex) {
                    // A root that does not exist (any more) allows nothing.
                }
            }
            if (!allowed) {
                throw bad(
                        "wasiReadOnlyDirs: '"
                                + printable(e.getValue())
                                + "' is not inside a directory this host allows (--wasi-dir-root)");
            }
        }
    }

    /** {@code /data} or {@code /srv/site}: absolute, no {@code .} or {@code ..} segments. */
    private static boolean isGuestDir(String path) {
        if (!GUEST_DIR.matcher(path).matches()) {
            return false;
        }
        for (String segment : path.substring(1).split("/", -1)) {
            if (segment.equals(".") || segment.equals("..")) {
                return false;
            }
        }
        return true;
    }

    private static Path realDirectory(String path) {
        try {
            Path p = Path.of(path);
            if (!p.isAbsolute()) {
                throw bad("wasiReadOnlyDirs: '" + printable(path) + "' must be an absolute path");
            }
            Path real = p.toRealPath();
            if (!Files.isDirectory(real)) {
                throw bad("wasiReadOnlyDirs: '" + printable(path) + "' is not a directory");
            }
            return real;
        } catch (InvalidPathException | IOException e) {
            throw bad("wasiReadOnlyDirs: '" + printable(path) + "' is not an existing directory");
        }
    }

    private static String printable(String s) {
        String t = s.replaceAll("[^\\x20-\\x7e]", "?");
        return t.length() > 200 ? t.substring(0, 200) + "..." : t;
    }

    private static void checkEnv(Map<String, String> env) {
        if (env.size() > MAX_ENV_ENTRIES) {
            throw bad("env has more than " + MAX_ENV_ENTRIES + " entries");
        }
        long bytes = 0;
        for (var e : env.entrySet()) {
            if (!ENV_KEY.matcher(e.getKey()).matches()) {
                throw bad("env key '" + e.getKey() + "' must match " + ENV_KEY.pattern());
            }
            bytes += e.getKey().length() + e.getValue().getBytes(StandardCharsets.UTF_8).length;
        }
        if (bytes > MAX_ENV_BYTES) {
            throw bad("env is larger than " + MAX_ENV_BYTES + " bytes");
        }
    }

    private static KilnException bad(String message) {
        return new KilnException(ErrorCode.BAD_REQUEST, message);
    }
}
