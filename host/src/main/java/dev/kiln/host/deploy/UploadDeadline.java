package dev.kiln.host.deploy;

import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The deadline of one upload's check, shared by the thread doing the work and the timer that gives
 * up on it. Whichever comes first wins: the work storing the function ({@link #commit}), or the
 * deadline answering the client ({@code upload_timeout}). Work that lost keeps running until its
 * next {@link #check} (Chicory's compiler does not stop when interrupted) and then only cleans up.
 */
public final class UploadDeadline {
    private static final int QUEUED = 0;
    private static final int RUNNING = 1;
    private static final int EXPIRING = 2;
    private static final int EXPIRED = 3;
    private static final int COMMITTED = 4;
    private static final int GAVE_UP = 5;
    private static final int DONE = 6;

    private final AtomicInteger state;
    private final long timeoutMillis;
    private volatile Thread worker;

    private UploadDeadline(int initial, long timeoutMillis) {
        this.state = new AtomicInteger(initial);
        this.timeoutMillis = timeoutMillis;
        this.worker = initial == RUNNING ? Thread.currentThread() : null;
    }

    /** A deadline for work queued on the {@link DeployExecutor}. */
    static UploadDeadline queued(long timeoutMillis) {
        return new UploadDeadline(QUEUED, timeoutMillis);
    }

    /**
     * A deadline that never expires, for work run directly on the calling thread (benchmarks and
     * embedders that call {@link Deployer} themselves).
     */
    public static UploadDeadline none() {
        return new UploadDeadline(RUNNING, 0);
    }

    /**
     * Refuses to go on once the deadline has passed.
     *
     * @throws KilnException {@code upload_timeout}
     */
    public void check() {
        int s = state.get();
        if (s == EXPIRING || s == EXPIRED) {
            throw expired();
        }
    }

    /**
     * Claims the right to store the upload: from here on the deadline no longer fires, and the
     * client gets the outcome of the store. Call it at most once, right before storing.
     *
     * @throws KilnException {@code upload_timeout} if the deadline won
     */
    public void commit() {
        if (!state.compareAndSet(RUNNING, COMMITTED) && state.get() != COMMITTED) {
            throw expired();
        }
    }

    KilnException expired() {
        return new KilnException(
                ErrorCode.UPLOAD_TIMEOUT,
                "checking the module (validation, compilation and kiln_init) took longer than the"
                        + " host's uploadTimeout of "
                        + describe(timeoutMillis)
                        + "; nothing was stored");
    }

    /** The worker thread takes the upload; false if it gave up waiting in the queue meanwhile. */
    boolean start() {
        worker = Thread.currentThread();
        if (state.compareAndSet(QUEUED, RUNNING)) {
            return true;
        }
        worker = null;
        return false;
    }

    /** The queue wait ran out: true if the upload had not started (it never will). */
    boolean giveUp() {
        return state.compareAndSet(QUEUED, GAVE_UP);
    }

    /**
     * The deadline passed: true if the running work had not committed. Its thread is interrupted,
     * which stops guest code in {@code kiln_init} (the compiler runs on regardless).
     */
    boolean expire() {
        if (!state.compareAndSet(RUNNING, EXPIRING)) {
            return false;
        }
        Thread t = worker;
        if (t != null) {
            t.interrupt();
        }
        state.set(EXPIRED);
        return true;
    }

    /** Whether the deadline won over the work. */
    boolean isExpired() {
        int s = state.get();
        return s == EXPIRING || s == EXPIRED;
    }

    /**
     * The work is over (the worker thread calls this last): makes sure an interrupt meant for this
     * upload cannot land on the thread's next task.
     */
    void finish() {
        state.compareAndSet(RUNNING, DONE); // from here on the deadline cannot fire
        while (state.get() == EXPIRING) {
            Thread.onSpinWait(); // it fired just before: wait until its interrupt has landed
        }
        worker = null;
        Thread.interrupted();
    }

    private static String describe(long millis) {
        return millis % 1000 == 0 ? (millis / 1000) + " s" : millis + " ms";
    }
}
