package dev.kiln.host.cli;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;

/** The JVM options {@code kiln serve} relies on, as the running JVM reports them. */
final class JvmFlags {
    static final String EXIT_ON_OOM = "ExitOnOutOfMemoryError";

    private JvmFlags() {}

    /**
     * Whether this JVM exits on its first OutOfMemoryError ({@code -XX:+ExitOnOutOfMemoryError},
     * set by the {@code kiln} launcher); false too when the JVM cannot say.
     */
    static boolean exitsOnOutOfMemory() {
        try {
            return Boolean.parseBoolean(
                    ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                            .getVMOption(EXIT_ON_OOM)
                            .getValue());
        } catch (RuntimeException e) { // not a HotSpot JVM
            return false;
        }
    }
}
