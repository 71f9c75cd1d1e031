package dev.kiln.host.deploy;

import dev.kiln.host.config.KilnConfig;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.registry.FunctionSettings;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Pattern;

/** Checks function settings against the host's limits before anything is stored. */
final class SettingsRules {
    static final int MAX_ENV_ENTRIES = SettingsLimits.FIXED.maxEnvEntries();
    static final int MAX_ENV_BYTES = SettingsLimits.FIXED.maxEnvBytes();
    static final int MAX_DESCRIPTION = SettingsLimits.FIXED.maxDescriptionChars();
    static final int MAX_HANDLER = SettingsLimits.FIXED.maxHandlerChars();
    static final int MAX_CONCURRENCY = SettingsLimits.FIXED.maxConcurrency();
    private static final Pattern ENV_KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]{0,127}");

    private final KilnConfig config;

    SettingsRules(KilnConfig config) {
        this.config = config;
    }

    void check(FunctionSettings s) {
        if (s.handler().isEmpty() || s.handler().length() > MAX_HANDLER) {
            throw bad("handler must be 1.." + MAX_HANDLER + " characters");
        }
        if (!SettingsLimits.FIXED.abis().contains(s.abi())) {
            throw bad(
                    "abi '"
                            + s.abi()
                            + "' is not supported by this host; supported: "
                            + String.join(", ", SettingsLimits.FIXED.abis()));
        }
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
        checkEnv(s.env());
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
