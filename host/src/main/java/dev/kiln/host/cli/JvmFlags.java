package dev.kiln.host.cli;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;

/** The JVM options {@code kiln serve} relies on, as the running JVM reports them. */
final class JvmFlags {
    static final String EXIT_ON_OOM = "ExitOnOutOfMemoryError";
    static final String DONT_COMPILE_HUGE_METHODS = "DontCompileHugeMethods";

    private JvmFlags() {}

    /**
     * Whether this JVM exits on its first OutOfMemoryError ({@code -XX:+ExitOnOutOfMemoryError},
     * set by the {@code kiln} launcher); false too when the JVM cannot say.
     */
    static boolean exitsOnOutOfMemory() {
        return "true".equals(value(EXIT_ON_OOM));
    }

    /**
     * Whether the JIT compiles methods over HotSpot's 8 000-byte limit ({@code
     * -XX:-DontCompileHugeMethods}, set by the {@code kiln} launcher; docs/adr/0075); false too
     * when the JVM cannot say.
     */
    static boolean compilesHugeMethods() {
        return "false".equals(value(DONT_COMPILE_HUGE_METHODS));
    }

    private static String value(String option) {
        try {
            return ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                    .getVMOption(option)
                    .getValue();
        } catch (RuntimeException e) { // not a HotSpot JVM, or an option it does not have
            return null;
        }
    }
}
