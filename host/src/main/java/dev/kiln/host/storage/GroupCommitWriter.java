package dev.kiln.host.storage;

import dev.kiln.host.core.BackgroundLoops;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One thread that owns a store's writes: callers hand it changes, it takes whatever has arrived
 * together (up to a batch size) and gives the lot to its {@link Sink} to write in one transaction
 * (group commit).
 *
 * <p>Every change a caller handed over is dealt with exactly once: written (or failed) by {@link
 * Sink#write}, or, when {@link #close} came first, given to {@link Sink#abandoned}. A change handed
 * over while the writer closes is never left behind: either the writer still sees it, or the close
 * abandons it, or the caller takes it back and is told it was not accepted.
 *
 * @param <T> the changes
 */
public final class GroupCommitWriter<T> implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GroupCommitWriter.class);
    // Wakes an idle writer so that a close needs no interrupt (which a sink could misread).
    private static final Object WAKE = new Object();

    /** Where batches go; its methods other than {@link #abandoned} run on the writer thread. */
    public interface Sink<T> {
        /** Writes one batch, in order. Must settle every change, however it ends. */
        void write(List<T> batch);

        /** {@link #write} threw {@code cause}: settle the batch's changes as failed. */
        void failed(List<T> batch, Throwable cause);

        /** Changes never written because the writer closed (called by the closing thread). */
        void abandoned(List<T> changes);

        /** Called on the writer thread between batches, at least once per poll interval. */
        default void idle() {}
    }

    private final BlockingQueue<Object> queue;
    private final int maxBatch;
    private final long pollMillis;
    private final long lingerNanos;
    private final Sink<T> sink;
    private final Thread thread;
    private volatile boolean closed;
    private volatile boolean hurried;

    /**
     * Starts the writer thread.
     *
     * @param capacity changes that may wait; 0 for no bound
     * @param maxBatch most changes written per batch
     * @param pollInterval how long the idle writer waits before calling {@link Sink#idle}
     */
    public GroupCommitWriter(
            String threadName, int capacity, int maxBatch, Duration pollInterval, Sink<T> sink) {
        this(threadName, capacity, maxBatch, pollInterval, Duration.ZERO, sink);
    }

    /**
     * Starts a writer that lingers: after writing a batch smaller than {@code maxBatch} it waits up
     * to {@code linger} (or until {@link #hurry}) before taking the next, so that changes arriving
     * one at a time are written together. Fewer, larger transactions cost the disk and the CPU far
     * less per change, and a producer does not wake the writer for every change; each change may
     * wait up to {@code linger} longer before it is written.
     */
    public GroupCommitWriter(
            String threadName,
            int capacity,
            int maxBatch,
            Duration pollInterval,
            Duration linger,
            Sink<T> sink) {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be at least 1");
        }
        this.queue =
                capacity > 0 ? new ArrayBlockingQueue<>(capacity) : new LinkedBlockingQueue<>();
        this.maxBatch = maxBatch;
        this.pollMillis = Math.max(1, pollInterval.toMillis());
        this.lingerNanos = Math.max(0, linger.toNanos());
        this.sink = sink;
        this.thread = new Thread(this::run, threadName);
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /**
     * Hands {@code change} to the writer without waiting. Returns false, and the change is the
     * caller's again, when the writer is closed or its queue is full.
     */
    public boolean offer(T change) {
        return !closed && queue.offer(change) && stillAccepted(change);
    }

    /** Like {@link #offer(Object)}, waiting up to {@code wait} for room in a full queue. */
    public boolean offer(T change, Duration wait) throws InterruptedException {
        return !closed
                && queue.offer(change, wait.toMillis(), TimeUnit.MILLISECONDS)
                && stillAccepted(change);
    }

    /**
     * Like {@link #offer(Object, Duration)}, then {@link #hurry}: for a caller about to wait until
     * the change is written (a flush marker).
     */
    public boolean offerHurried(T change, Duration wait) throws InterruptedException {
        if (!offer(change, wait)) {
            return false;
        }
        hurry();
        return true;
    }

    // A change queued just as the writer closed may have come after the writer's last look at the
    // queue and after the close's sweep: take it back if it is still there. The writer looks at an
    // empty queue last only after `closed` is set, so a change it did not see reads `closed` true.
    private boolean stillAccepted(T change) {
        return !closed || !queue.remove(change);
    }

    /**
     * Ends a lingering writer's wait: what was handed over before this call is taken without
     * waiting out the linger (for a caller about to wait for it to be written).
     */
    public void hurry() {
        hurried = true;
        LockSupport.unpark(thread);
    }

    /** Whether the writer thread is running (it stops once closed and drained). */
    public boolean isRunning() {
        return thread.isAlive();
    }

    /** Changes waiting to be written. */
    public int waiting() {
        return queue.size();
    }

    /**
     * Stops accepting changes, lets the writer finish what was handed over (waiting up to {@code
     * wait}), then abandons whatever it did not reach.
     */
    public void close(Duration wait) {
        closed = true;
        queue.offer(WAKE);
        LockSupport.unpark(thread);
        try {
            thread.join(Math.max(1, wait.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            log.warn("{} did not finish within {}; interrupting it", thread.getName(), wait);
            thread.interrupt();
        }
        List<T> left = new ArrayList<>();
        drainTo(left, Integer.MAX_VALUE);
        if (!left.isEmpty()) {
            sink.abandoned(left);
        }
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(10));
    }

    private void run() {
        List<T> batch = new ArrayList<>();
        while (true) {
            try {
                sink.idle();
            } catch (Throwable e) {
                // The only writer must outlive anything one housekeeping pass throws (ADR 0030).
                BackgroundLoops.survived(log, thread.getName(), e);
            }
            // Reset before taking: a hurry that comes after this sees its change taken or skips the
            // linger below.
            hurried = false;
            Object first;
            try {
                first = queue.poll(pollMillis, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                first = queue.poll();
            }
            if (first == null || first == WAKE) {
                if (closed && queue.isEmpty()) {
                    return;
                }
                if (first == null) {
                    continue;
                }
            } else {
                batch.add(cast(first));
            }
            drainTo(batch, maxBatch - batch.size());
            if (batch.isEmpty()) {
                continue;
            }
            // A batch and the housekeeping before it are each a stretch of CPU that request
            // threads should not wait out (docs/adr/0072).
            CoreYield.now();
            try {
                sink.write(batch);
            } catch (Throwable e) {
                // Even an OutOfMemoryError must not end the only writer (ADR 0030): settle this
                // batch as failed, log (pausing after an Error), and carry on with the next.
                try {
                    sink.failed(batch, e);
                } catch (Throwable f) {
                    e.addSuppressed(f);
                }
                BackgroundLoops.survived(log, thread.getName(), e);
            }
            CoreYield.now();
            boolean full = batch.size() >= maxBatch;
            batch.clear();
            if (!full) {
                linger();
            }
        }
    }

    // Parked rather than waiting on the queue: an offer then wakes nobody. In slices, so that a
    // burst filling a batch is taken without waiting out the whole linger.
    private void linger() {
        long end = System.nanoTime() + lingerNanos;
        long slice = Math.max(1_000_000L, lingerNanos / 4);
        for (long left = lingerNanos;
                left > 0
                        && !closed
                        && !hurried
                        && queue.size() < maxBatch
                        && !Thread.currentThread().isInterrupted();
                left = end - System.nanoTime()) {
            LockSupport.parkNanos(this, Math.min(left, slice));
        }
    }

    private void drainTo(List<T> out, int max) {
        List<Object> raw = new ArrayList<>();
        queue.drainTo(raw, max);
        for (Object o : raw) {
            if (o != WAKE) {
                out.add(cast(o));
            }
        }
    }

    @SuppressWarnings("unchecked") // only offer(T) puts anything but WAKE into the queue
    private T cast(Object o) {
        return (T) o;
    }
}
