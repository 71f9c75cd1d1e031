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
        int maxExports,
        long maxCodeBytes) {

    /**
     * Generous for real programs, tight for bombs. {@code maxCodeBytes} is checked before the
     * module is parsed, so it is what bounds the parse: Chicory's parser spends about 1 µs and 150
     * bytes of heap per instruction (20M instructions took 20 s and 3 GB), and an instruction is at
     * least one byte. The other caps are checked on the parsed module.
     */
    public static final ModuleLimits DEFAULTS =
            new ModuleLimits(
                    100_000,
                    4_000_000,
                    50_000,
                    1_000,
                    100_000,
                    100_000,
                    10,
                    1_000_000,
                    100_000,
                    32L * 1024 * 1024,
                    100_000,
                    8L * 1024 * 1024);
}
