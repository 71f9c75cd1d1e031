package dev.kiln.host.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.observability.Metrics;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The executor's rules, with work that blocks on latches instead of a slow compiler. */
class DeployExecutorTest {
    private static final long HANG_SECONDS = 60;

    private static DeployExecutor executor(int slots, int queue, long timeoutMs) {
        return new DeployExecutor(
                new UploadLimits(slots, queue, Duration.ofMillis(timeoutMs)),
                1024 * 1024,
                new Metrics());
    }

    private static ErrorCode codeOf(CompletableFuture<?> f) throws InterruptedException {
        try {
            f.get(HANG_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof KilnException k) {
                return k.code();
            }
            throw new AssertionError(e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("no answer", e);
        }
        return null;
    }

    @Test
    void workThatOutlivesItsDeadlineIsAnsweredAtOnceAndCannotStoreLater() throws Exception {
        try (DeployExecutor uploads = executor(1, 0, 100)) {
            CountDownLatch release = new CountDownLatch(1);
            CompletableFuture<Throwable> commitOutcome = new CompletableFuture<>();
            CompletableFuture<String> answer =
                    uploads.submit(
                            deadline -> {
                                awaitUninterruptibly(release); // a compiler that ignores interrupts
                                try {
                                    deadline.commit();
                                    commitOutcome.complete(null);
                                } catch (RuntimeException e) {
                                    commitOutcome.complete(e);
                                    throw e;
                                }
                                return "stored";
                            });
            assertThat(codeOf(answer)).isEqualTo(ErrorCode.UPLOAD_TIMEOUT);

            // The abandoned work still holds the only slot: no room, even with the answer out.
            assertThat(codeOf(uploads.submit(d -> "next"))).isEqualTo(ErrorCode.OVERLOADED);

            release.countDown();
            Throwable refused = commitOutcome.get(HANG_SECONDS, TimeUnit.SECONDS);
            assertThat(refused).isInstanceOf(KilnException.class);
            assertThat(((KilnException) refused).code()).isEqualTo(ErrorCode.UPLOAD_TIMEOUT);

            // Once it has ended, the slot is free, and the deadline's interrupt did not follow
            // the thread into its next task.
            String next = null;
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(HANG_SECONDS);
            while (next == null && System.nanoTime() < until) {
                try {
                    next =
                            uploads.submit(d -> Thread.currentThread().isInterrupted() ? "x" : "ok")
                                    .get(HANG_SECONDS, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    Thread.sleep(10); // the thread is between tasks: retry
                }
            }
            assertThat(next).isEqualTo("ok");
        }
    }

    @Test
    void workThatCommitsBeforeTheDeadlineIsNeverTimedOut() throws Exception {
        try (DeployExecutor uploads = executor(1, 0, 200)) {
            CountDownLatch pastDeadline = new CountDownLatch(1);
            CompletableFuture<String> answer =
                    uploads.submit(
                            deadline -> {
                                deadline.commit();
                                // Storing takes longer than the deadline: the client waits for it.
                                awaitUninterruptibly(pastDeadline, 400);
                                assertThat(Thread.currentThread().isInterrupted()).isFalse();
                                return "stored";
                            });
            assertThat(answer.get(HANG_SECONDS, TimeUnit.SECONDS)).isEqualTo("stored");
        }
    }

    @Test
    void aFailureOfTheWorkIsTheAnswer() throws Exception {
        try (DeployExecutor uploads = executor(2, 2, 10_000)) {
            CompletableFuture<String> answer =
                    uploads.submit(
                            d -> {
                                throw new KilnException(ErrorCode.INVALID_MODULE, "no");
                            });
            assertThat(codeOf(answer)).isEqualTo(ErrorCode.INVALID_MODULE);
        }
    }

    @Test
    void queuedWorkGivesUpAfterTheTimeoutAndNeverRuns() throws Exception {
        try (DeployExecutor uploads = executor(1, 1, 150)) {
            CountDownLatch release = new CountDownLatch(1);
            var first = uploads.submit(d -> awaitUninterruptibly(release));
            CompletableFuture<Boolean> ran = new CompletableFuture<>();
            var queued =
                    uploads.submit(
                            d -> {
                                ran.complete(true);
                                return "ran";
                            });
            assertThat(codeOf(queued)).isEqualTo(ErrorCode.OVERLOADED);
            // The first task's deadline counts from when its thread started it, which under load
            // can be after the second was queued: its answer comes at its own deadline, release
            // only after it.
            assertThat(codeOf(first)).isEqualTo(ErrorCode.UPLOAD_TIMEOUT);
            release.countDown();
            // A later task runs on the same thread; the given-up one never did.
            assertThat(uploads.submit(d -> "later").get(HANG_SECONDS, TimeUnit.SECONDS))
                    .isEqualTo("later");
            assertThat(ran).isNotDone();
        }
    }

    @Test
    void limitsAreChecked() {
        assertThatThrownBy(() -> new UploadLimits(0, 1, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new UploadLimits(1, -1, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new UploadLimits(1, 1, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static String awaitUninterruptibly(CountDownLatch latch) {
        return awaitUninterruptibly(latch, TimeUnit.SECONDS.toMillis(HANG_SECONDS));
    }

    /** Waits like a compiler that ignores interrupts: keeps waiting, keeps the flag. */
    private static String awaitUninterruptibly(CountDownLatch latch, long millis) {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        boolean interrupted = false;
        while (latch.getCount() > 0 && System.nanoTime() < until) {
            try {
                latch.await(
                        Math.max(1, (until - System.nanoTime()) / 1_000_000),
                        TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return "done";
    }
}
