package dev.kiln.host.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.cli.ChildJvm.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The {@code kiln} launchers make the JVM exit on OutOfMemoryError (docs/adr/0030), inline
 * recursive guest calls two levels deep (docs/adr/0074) and JIT-compile huge guest methods
 * (docs/adr/0075) with a larger node budget (docs/adr/0076).
 */
class LauncherTest {
    static final String FLAG = "-XX:+ExitOnOutOfMemoryError";
    static final String RECURSIVE_INLINE = "-XX:MaxRecursiveInlineLevel=2";
    static final String COMPILE_HUGE_METHODS = "-XX:-DontCompileHugeMethods";
    static final String GUEST_NODE_LIMIT =
            "-XX:CompileCommand=quiet"
                + " '-XX:CompileCommand=MaxNodeLimit,com.dylibso.chicory.$gen.*::func_*,240000'";
    static final Path CLONE_LAUNCHER = Path.of("..", "kiln");
    static final Path INSTALL_LAUNCHER = Path.of("..", "cli", "src", "dist", "bin", "kiln");

    @Test
    void theLauncherAlwaysPassesExitOnOutOfMemoryErrorToJava() throws Exception {
        passedUnconditionally(CLONE_LAUNCHER, "opts+=(" + FLAG + ")");
        passedUnconditionally(INSTALL_LAUNCHER, "opts=(" + FLAG + ")");
    }

    /** Guests run as the benchmarks measured them (docs/adr/0074), in a clone and an install. */
    @Test
    void bothLaunchersInlineRecursiveGuestCallsTwoLevelsDeep() throws Exception {
        passedByBothLaunchers(RECURSIVE_INLINE);
    }

    /**
     * A JavaScript or Python function's dispatch loop compiles to a JVM method over HotSpot's 8
     * 000-byte limit; without the option it never leaves the bytecode interpreter (docs/adr/0075).
     */
    @Test
    void bothLaunchersLetTheJitCompileHugeGuestMethods() throws Exception {
        passedByBothLaunchers(COMPILE_HUGE_METHODS);
    }

    /**
     * CPython's dispatch loop compiles only with a larger C2 node budget (docs/adr/0076); {@code
     * quiet} first, or HotSpot echoes the command on the stdout CLI commands answer on.
     */
    @Test
    void bothLaunchersGiveGuestFunctionsALargerNodeBudgetQuietly() throws Exception {
        passedByBothLaunchers(GUEST_NODE_LIMIT);
    }

    /**
     * Both launchers add {@code options} to {@code opts} on a line of their own, unconditionally.
     */
    private static void passedByBothLaunchers(String options) throws Exception {
        String line = "opts+=(" + options + ")";
        passedUnconditionally(CLONE_LAUNCHER, line);
        passedUnconditionally(INSTALL_LAUNCHER, line);
    }

    /**
     * {@code line} adds to {@code opts} outside any {@code if}, before the line that execs java.
     */
    private static void passedUnconditionally(Path relative, String line) throws Exception {
        Path script = relative.toAbsolutePath().normalize();
        List<String> lines = Files.readAllLines(script);
        int flag = lines.indexOf(line);
        int exec = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i)
                    .matches("exec \"\\$(JAVA_HOME|java_home)/bin/java\" \"\\$\\{opts\\[@]}\".*")) {
                exec = i;
            }
        }
        assertThat(flag).as("%s: an unconditional %s line", script, line).isPositive();
        assertThat(exec).as("%s: the exec line passing ${opts[@]}", script).isGreaterThan(flag);
        // Unconditional: not inside an if block.
        long opened = lines.subList(0, flag).stream().filter(l -> l.startsWith("if ")).count();
        long closed = lines.subList(0, flag).stream().filter(l -> l.equals("fi")).count();
        assertThat(opened).as(script.toString()).isEqualTo(closed);
    }

    @Test
    void withTheFlagAnOutOfMemoryErrorEndsTheJvmEvenWhenTheLoopCatchesIt() throws Exception {
        Run withFlag = hog(FLAG);
        assertThat(withFlag.exit()).as(withFlag.err()).isEqualTo(3);
        // HotSpot writes this line to stdout.
        assertThat(withFlag.out() + withFlag.err())
                .contains("Terminating due to java.lang.OutOfMemoryError")
                .doesNotContain("survived");

        // Without it, a loop that catches the Error runs on: the half-dead host of issue 13.
        Run without = hog("-XX:-ExitOnOutOfMemoryError");
        assertThat(without.exit()).as(without.err()).isZero();
        assertThat(without.out()).contains("survived 3 OutOfMemoryErrors");
    }

    private static Run hog(String flag) throws Exception {
        return ChildJvm.run(HeapHog.class, "-Xmx32m", flag);
    }
}
