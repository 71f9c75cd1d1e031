package dev.kiln.perf;

import org.openjdk.jmh.annotations.Fork;

/**
 * What every JMH benchmark here extends for its fork: one JVM with the options the {@code kiln}
 * launchers give the host ({@link KilnJvm}), so guests run as they run deployed. JMH takes
 * class-level annotations from a benchmark's superclasses; a {@code -f} or {@code -jvmArgsAppend}
 * on the command line still wins.
 */
@Fork(
        value = 1,
        jvmArgsAppend = {
            KilnJvm.RECURSIVE_INLINE,
            KilnJvm.COMPILE_HUGE_METHODS,
            KilnJvm.QUIET_COMPILE_COMMANDS,
            KilnJvm.GUEST_NODE_LIMIT
        })
public abstract class KilnForkedBenchmark {
    protected KilnForkedBenchmark() {}
}
