package dev.kiln.host.testing;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** Runs test code on the current thread while a timer interrupts it, as a guest's deadline does. */
public final class Interrupted {
    private Interrupted() {}

    /** Test code that may throw. */
    @FunctionalInterface
    public interface Body {
        void run() throws Exception;
    }

    /**
     * Runs {@code body}, interrupting this thread {@code millis} ms after it starts; the interrupt
     * flag is cleared afterwards, whether or not anything consumed it.
     */
    public static void after(long millis, Body body) throws Exception {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        try {
            Thread self = Thread.currentThread();
            // Fires or is dropped by shutdownNow below; its result is the interrupt itself.
            var unusedInterrupt = timer.schedule(self::interrupt, millis, TimeUnit.MILLISECONDS);
            body.run();
        } finally {
            timer.shutdownNow();
            Thread.interrupted();
        }
    }
}
