package dev.kiln.host.sandbox;

/**
 * Caps on what a module may declare, so that no upload can make compilation or instantiation take
 * unbounded time or memory (a "compile bomb"). Each refusal names the cap it broke.
 */
public record ModuleLimits(
        int maxFunctions,
        int maxInstructions,
        int maxLocalsPerFunction,
        int maxNestingDepth,
        int maxTypes,
        int maxGlobals,
        int maxTables,
        long maxTableElements,
        int maxDataSegments,
        long maxDataBytes,
        int maxExports) {

    /** Generous for real programs (a 12 MB JS engine fits), tight for bombs. */
    public static final ModuleLimits DEFAULTS =
            new ModuleLimits(
                    100_000,
                    20_000_000,
                    50_000,
                    1_000,
                    100_000,
                    100_000,
                    10,
                    1_000_000,
                    100_000,
                    32L * 1024 * 1024,
                    100_000);
}
