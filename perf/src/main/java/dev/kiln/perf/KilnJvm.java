package dev.kiln.perf;

/**
 * The JVM options the {@code kiln} launchers give the host and the benchmarks give their forks, so
 * guests run here as they run deployed (docs/adr/0074, docs/adr/0075).
 */
public final class KilnJvm {
    /** A recursive guest call inlined two levels deep instead of HotSpot's default one. */
    public static final String RECURSIVE_INLINE = "-XX:MaxRecursiveInlineLevel=2";

    /**
     * Guest functions compiled to JVM methods over HotSpot's 8 000-byte limit are JIT-compiled too,
     * instead of staying in the bytecode interpreter (a language runtime's dispatch loop).
     */
    public static final String COMPILE_HUGE_METHODS = "-XX:-DontCompileHugeMethods";

    private KilnJvm() {}
}
