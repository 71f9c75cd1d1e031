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
        long maxCodeBytes,
        int maxBrTableTargets,
        long maxBrTableTargetsTotal,
        int maxOperandStackDepth) {

    /**
     * Targets of one {@code br_table}: Chicory's compile time grows faster than linearly in them
     * (measured, CPU time: 10k targets 0.24 s, 30k 1.45 s, 100k 6.8 s; 1M held a worker for over
     * 120 s), while real switch tables have hundreds to a few thousand.
     */
    public static final int DEFAULT_MAX_BR_TABLE_TARGETS = 10_000;

    /**
     * Targets of all {@code br_table}s of a module: each costs the compiler about 12 µs (1M targets
     * in 10k-target tables: 11.8 s of CPU), against about 2 µs per instruction for the whole
     * upload, and a target is not an instruction, so {@code maxInstructions} does not bound them.
     */
    public static final long DEFAULT_MAX_BR_TABLE_TARGETS_TOTAL = 1_000_000;

    /**
     * Values on one function's operand stack: Chicory's compiler keeps them on the JVM operand
     * stack, which ASM counts in 16 bits; at about 32k values (16k of them i64) compilation fails
     * with an internal error (an i32 push 100k deep did).
     */
    public static final int DEFAULT_MAX_OPERAND_STACK_DEPTH = 10_000;

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
                    8L * 1024 * 1024,
                    DEFAULT_MAX_BR_TABLE_TARGETS,
                    DEFAULT_MAX_BR_TABLE_TARGETS_TOTAL,
                    DEFAULT_MAX_OPERAND_STACK_DEPTH);
}
