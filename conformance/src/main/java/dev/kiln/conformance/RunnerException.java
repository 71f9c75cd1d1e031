package dev.kiln.conformance;

/**
 * Why the runner could not run the suite at all, as one line for the terminal. The CLI maps each
 * kind to its documented exit code (conformance/README.md).
 */
public abstract sealed class RunnerException extends Exception {
    private static final long serialVersionUID = 1L;

    RunnerException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The command line or the cases are wrong: exit 2. */
    public static final class Usage extends RunnerException {
        private static final long serialVersionUID = 1L;

        Usage(String message) {
            super(message, null);
        }

        Usage(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The target cannot be used: unreachable, not speaking HTTP, or refusing the token: exit 3. */
    public static final class TargetUnavailable extends RunnerException {
        private static final long serialVersionUID = 1L;

        TargetUnavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
