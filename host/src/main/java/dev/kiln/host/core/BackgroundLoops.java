package dev.kiln.host.core;

import org.slf4j.Logger;

/**
 * What Kiln's background threads (timers, pool maintenance, event dispatcher and completer, the
 * record and event writers) do with anything one round of their work throws, {@link Error}s
 * included: log it with the loop's name and the failure's class as structured fields, pause briefly
 * after an Error so a lasting one (a heap that stays exhausted) does not spin, and go on with the
 * next round. A thread that died would leave a host that answers requests but never fires a timer,
 * refills a pool or runs an event again. Where the JVM cannot recover, {@code
 * -XX:+ExitOnOutOfMemoryError} (set by the {@code kiln} launcher) ends the process before this
 * runs; see docs/adr/0030-background-threads-survive-errors.md.
 */
public final class BackgroundLoops {
    /** Pause after an Error before the next round. */
    static final long PAUSE_AFTER_ERROR_MS = 100;

    private BackgroundLoops() {}

    /**
     * Logs {@code failure}, which escaped one round of the loop named {@code loop}, and pauses
     * after an Error. Returns false when the pause was interrupted (the loop should stop), true
     * otherwise.
     */
    public static boolean survived(Logger log, String loop, Throwable failure) {
        log.atError()
                .addKeyValue("loop", loop)
                .addKeyValue("failure", failure.getClass().getName())
                .setCause(failure)
                .log("background loop {} survived a failure and goes on", loop);
        if (failure instanceof Error) {
            try {
                Thread.sleep(PAUSE_AFTER_ERROR_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }
}
