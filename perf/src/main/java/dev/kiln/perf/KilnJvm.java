package dev.kiln.perf;

import java.util.List;

/**
 * The JVM options the {@code kiln} launchers give the host and the benchmarks give their forks, so
 * guests run here as they run deployed (docs/adr/0074 to 0077).
 */
public final class KilnJvm {
    /** A recursive guest call inlined two levels deep instead of HotSpot's default one. */
    public static final String RECURSIVE_INLINE = "-XX:MaxRecursiveInlineLevel=2";

    /**
     * Guest functions compiled to JVM methods over HotSpot's 8 000-byte limit are JIT-compiled too,
     * instead of staying in the bytecode interpreter (a language runtime's dispatch loop).
     */
    public static final String COMPILE_HUGE_METHODS = "-XX:-DontCompileHugeMethods";

    /** HotSpot echoes every {@code CompileCommand} on stdout unless told to be quiet. */
    public static final String QUIET_COMPILE_COMMANDS = "-XX:CompileCommand=quiet";

    /**
     * Three times C2's default node budget for a guest function, so a language runtime's dispatch
     * loop compiles (CPython's; docs/adr/0076).
     */
    public static final String GUEST_NODE_LIMIT =
            "-XX:CompileCommand=MaxNodeLimit,com.dylibso.chicory.$gen.*::func_*,240000";

    /** A guest function's compilation stops at 1 GiB of compiler memory (JDK 23+; ADR 0076). */
    public static final String GUEST_COMPILE_MEMORY_LIMIT =
            "-XX:CompileCommand=MemLimit,com.dylibso.chicory.$gen.*::func_*,1g~stop";

    /**
     * glibc's heap trimmed every 10 s, so memory the JVM frees (C2's arena after a guest's large
     * compilation) leaves the process (docs/adr/0077); the unlock is for the JDKs that still call
     * the option experimental. Servers only: it changes what a process holds, not how fast it runs.
     */
    public static final List<String> TRIM_NATIVE_HEAP =
            List.of("-XX:+UnlockExperimentalVMOptions", "-XX:TrimNativeHeapInterval=10000");

    /** Whether {@code version} knows {@link #TRIM_NATIVE_HEAP} (21.0.1 and later). */
    public static boolean trimsNativeHeap(Runtime.Version version) {
        return version.feature() > 21 || (version.feature() == 21 && version.update() >= 1);
    }

    private KilnJvm() {}
}
