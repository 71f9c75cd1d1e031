package dev.kiln.host.invoke;

import dev.kiln.host.config.KilnConfig;
import dev.kiln.host.config.WorkerMode;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs guest code with bounded admission: at most {@code workerThreads} running and {@code
 * workerQueue} waiting; beyond that {@link #execute} refuses at once.
 */
final class GuestExecutor implements AutoCloseable {
    private final ExecutorService executor;
    private final Semaphore admission;
    private final int admissionLimit;

    GuestExecutor(KilnConfig config) {
        if (config.workerMode() == WorkerMode.VIRTUAL) {
            this.executor =
                    Executors.newThreadPerTaskExecutor(
                            Thread.ofVirtual().name("kiln-vworker-", 0).factory());
            this.admissionLimit = config.workerThreads() + config.workerQueue();
            this.admission = new Semaphore(admissionLimit);
        } else {
            AtomicInteger n = new AtomicInteger();
            // Platform threads with an explicit stack: guest recursion depth is then the same on
            // every run (docs/adr/0003-worker-threads.md).
            this.executor =
                    new ThreadPoolExecutor(
                            config.workerThreads(),
                            config.workerThreads(),
                            60,
                            TimeUnit.SECONDS,
                            new ArrayBlockingQueue<>(config.workerQueue()),
                            r -> {
                                Thread t =
                                        new Thread(
                                                null,
                                                r,
                                                "kiln-worker-" + n.incrementAndGet(),
                                                config.workerStackBytes());
                                t.setDaemon(true);
                                return t;
                            },
                            new ThreadPoolExecutor.AbortPolicy());
            this.admission = null;
            this.admissionLimit = 0;
        }
    }

    /**
     * @throws RejectedExecutionException when running and waiting work are both at their cap
     */
    void execute(Runnable task) {
        if (admission == null) {
            executor.execute(task);
            return;
        }
        if (!admission.tryAcquire()) {
            throw new RejectedExecutionException("admission limit reached");
        }
        try {
            executor.execute(
                    () -> {
                        try {
                            task.run();
                        } finally {
                            admission.release();
                        }
                    });
        } catch (RejectedExecutionException e) {
            admission.release();
            throw e;
        }
    }

    /** Invocations running on a worker now. */
    int busy() {
        if (executor instanceof ThreadPoolExecutor pool) {
            return pool.getActiveCount();
        }
        return admission == null ? 0 : admissionLimit - admission.availablePermits();
    }

    /** Invocations waiting for a worker (platform workers; virtual ones never wait here). */
    int queued() {
        return executor instanceof ThreadPoolExecutor pool ? pool.getQueue().size() : 0;
    }

    @Override
    public void close() {
        executor.shutdown();
        try {
            if (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
