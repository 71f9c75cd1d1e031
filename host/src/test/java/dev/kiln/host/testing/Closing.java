package dev.kiln.host.testing;

/** Tear-down of what a test class started: every resource is closed even when one fails. */
public final class Closing {
    private Closing() {}

    /** Closes each non-null resource in order; a failure does not stop the rest. */
    public static void all(AutoCloseable... resources) {
        for (AutoCloseable c : resources) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // closing the rest anyway: a test's own assertions report what went wrong
            }
        }
    }
}
