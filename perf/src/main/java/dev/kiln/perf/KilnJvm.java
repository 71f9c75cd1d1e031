package dev.kiln.perf;

/**
 * The JVM option the {@code kiln} launchers give the host and the benchmarks give their forks, so
 * guests run here as they run deployed (docs/adr/0074).
 */
public final class KilnJvm {
    /** A recursive guest call inlined two levels deep instead of HotSpot's default one. */
    public static final String RECURSIVE_INLINE = "-XX:MaxRecursiveInlineLevel=2";

    private KilnJvm() {}
}
