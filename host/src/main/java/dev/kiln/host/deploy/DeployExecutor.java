package dev.kiln.host.deploy;

import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.observability.Metrics;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs upload checks (validation, compilation, trial instantiation) on a few threads of their own,
 * under a deadline, off the HTTP server's threads (docs/adr/0029).
 *
 * <p>At most {@code maxConcurrentUploads} checks run at once and {@code uploadQueue} wait; beyond
 * that an upload is refused with {@code overloaded}. A check that outlives {@code uploadTimeout} is
 * answered with {@code upload_timeout} at once, but keeps its thread until it really ends:
 * Chicory's compiler cannot be stopped, and letting abandoned compilations pile up beyond the limit
 * would hand the CPU to whoever uploads the slowest modules. The answer is a future, so no thread
 * waits for it.
 */
public final class DeployExecutor implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DeployExecutor.class);

    private final UploadLimits limits;
    private final ThreadPoolExecutor workers;
    private final ScheduledExecutorService timer;
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicInteger abandoned = new AtomicInteger();
    private final Metrics.Counter refused;

    /**
     * @param stackBytes stack of each thread; {@code kiln_init} runs on it, so it matches the
     *     invocation workers' (it bounds guest recursion the same way)
     */
    public DeployExecutor(UploadLimits limits, long stackBytes, Metrics metrics) {
        this.limits = limits;
        BlockingQueue<Runnable> queue =
                limits.uploadQueue() == 0
                        ? new SynchronousQueue<>()
                        : new ArrayBlockingQueue<>(limits.uploadQueue());
        AtomicInteger n = new AtomicInteger();
        this.workers =
                new ThreadPoolExecutor(
                        limits.maxConcurrentUploads(),
                        limits.maxConcurrentUploads(),
                        0,
                        TimeUnit.MILLISECONDS,
                        queue,
                        r -> {
                            Thread t =
                                    new Thread(
                                            null,
                                            r,
                                            "kiln-upload-" + n.incrementAndGet(),
                                            stackBytes);
                            t.setDaemon(true);
                            return t;
                        },
                        new ThreadPoolExecutor.AbortPolicy());
        this.timer =
                Executors.newSingleThreadScheduledExecutor(
                        r -> {
                            Thread t = new Thread(r, "kiln-upload-deadline");
                            t.setDaemon(true);
                            return t;
                        });
        this.refused =
                metrics.counter(
                        "kiln_uploads_refused_total",
                        "Uploads and settings changes refused before or during their check, by why:"
                                + " overloaded (no slot and no room in the queue, or waited"
                                + " longer than uploadTimeout), timeout (the check took longer"
                                + " than uploadTimeout).",
                        "reason");
        metrics.gauge(
                "kiln_uploads_running",
                "Upload checks running, including abandoned ones (past their deadline, still"
                        + " compiling).",
                List.of(),
                sink -> sink.add(running.get()));
        metrics.gauge(
                "kiln_uploads_abandoned",
                "Upload checks past their deadline (answered upload_timeout) whose thread is still"
                        + " busy; they keep their slot until it ends.",
                List.of(),
                sink -> sink.add(abandoned.get()));
        metrics.gauge(
                "kiln_uploads_queued",
                "Uploads waiting for a slot.",
                List.of(),
                sink -> sink.add(workers.getQueue().size()));
        metrics.gauge(
                "kiln_uploads_limit",
                "maxConcurrentUploads: upload checks that may run at once.",
                List.of(),
                sink -> sink.add(limits.maxConcurrentUploads()));
    }

    /**
     * Queues {@code work}; the future completes with its result, or fails with a {@link
     * KilnException}: {@code overloaded} when there is no room, {@code upload_timeout} when the
     * deadline passed first, or whatever the work threw.
     */
    public <T> CompletableFuture<T> submit(Function<UploadDeadline, T> work) {
        long timeoutMillis = limits.uploadTimeout().toMillis();
        UploadDeadline deadline = UploadDeadline.queued(timeoutMillis);
        CompletableFuture<T> answer = new CompletableFuture<>();
        Runnable task = () -> run(deadline, work, answer);
        try {
            workers.execute(task);
        } catch (RejectedExecutionException e) {
            refused.inc("overloaded");
            answer.completeExceptionally(
                    new KilnException(
                            ErrorCode.OVERLOADED,
                            "the host is checking "
                                    + limits.maxConcurrentUploads()
                                    + " uploads and has "
                                    + limits.uploadQueue()
                                    + " waiting (its maxConcurrentUploads and uploadQueue);"
                                    + " try again later"));
            return answer;
        }
        ScheduledFuture<?> queueWait =
                timer.schedule(
                        () -> {
                            if (deadline.giveUp()) {
                                workers.remove(task);
                                refused.inc("overloaded");
                                answer.completeExceptionally(
                                        new KilnException(
                                                ErrorCode.OVERLOADED,
                                                "the upload waited longer than the host's"
                                                        + " uploadTimeout for one of its "
                                                        + limits.maxConcurrentUploads()
                                                        + " upload slots; try again later"));
                            }
                        },
                        timeoutMillis,
                        TimeUnit.MILLISECONDS);
        // The callback only cancels the queue-wait timer and cannot fail: nothing to observe.
        var unusedCancel = answer.whenComplete((r, t) -> queueWait.cancel(false));
        return answer;
    }

    private <T> void run(
            UploadDeadline deadline,
            Function<UploadDeadline, T> work,
            CompletableFuture<T> answer) {
        if (!deadline.start()) {
            return; // gave up waiting in the queue; already answered
        }
        running.incrementAndGet();
        ScheduledFuture<?> expiry =
                timer.schedule(
                        () -> {
                            // Counted first, so the worker's decrement can never come before.
                            abandoned.incrementAndGet();
                            if (deadline.expire()) {
                                refused.inc("timeout");
                                answer.completeExceptionally(deadline.expired());
                            } else {
                                abandoned.decrementAndGet();
                            }
                        },
                        limits.uploadTimeout().toMillis(),
                        TimeUnit.MILLISECONDS);
        try {
            answer.complete(work.apply(deadline));
        } catch (Throwable t) {
            if (deadline.isExpired()) {
                // Already answered upload_timeout; this is the abandoned work failing late.
                log.debug("abandoned upload check ended: {}", t.toString());
            }
            answer.completeExceptionally(t);
            if (t instanceof Error e && !(e instanceof StackOverflowError)) {
                throw e;
            }
        } finally {
            expiry.cancel(false);
            deadline.finish();
            if (deadline.isExpired()) {
                abandoned.decrementAndGet();
            }
            running.decrementAndGet();
        }
    }

    /** Stops taking uploads; checks still running are interrupted and left to end. */
    @Override
    public void close() {
        timer.shutdownNow();
        workers.shutdownNow();
    }
}
