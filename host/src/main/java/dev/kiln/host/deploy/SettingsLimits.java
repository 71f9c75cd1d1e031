package dev.kiln.host.deploy;

import dev.kiln.host.sandbox.Abi;
import java.util.Arrays;
import java.util.List;

/**
 * Fixed caps on function settings, and the ABIs a function may use. Published by {@code GET
 * /api/v1/limits}; exceeding one is {@code bad_request} (or {@code invalid_module} in a zip's
 * {@code kiln.json}).
 *
 * @param maxEnvEntries keys in a function's {@code env}
 * @param maxEnvBytes bytes of all {@code env} keys and values together
 * @param maxDescriptionChars characters of {@code description}
 * @param maxHandlerChars characters of {@code handler}
 * @param maxConcurrency largest {@code maxConcurrency} setting
 * @param maxZipEntries entries in an uploaded zip
 * @param abis accepted values of the {@code abi} setting
 */
public record SettingsLimits(
        int maxEnvEntries,
        int maxEnvBytes,
        int maxDescriptionChars,
        int maxHandlerChars,
        int maxConcurrency,
        int maxZipEntries,
        List<String> abis) {

    public static final SettingsLimits FIXED =
            new SettingsLimits(
                    256,
                    64 * 1024,
                    1024,
                    128,
                    100_000,
                    64,
                    Arrays.stream(Abi.values()).map(Abi::wire).toList());

    public SettingsLimits {
        abis = List.copyOf(abis);
    }
}
