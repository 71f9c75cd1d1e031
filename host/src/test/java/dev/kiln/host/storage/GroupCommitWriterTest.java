package dev.kiln.host.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The writer settles every change it accepted, whatever a close races with. */
class GroupCommitWriterTest {

    /** Completes each change's future; abandoned ones fail. Counts both. */
    static class CompletingSink implements GroupCommitWriter.Sink<CompletableFuture<String>> {
        final AtomicInteger written = new AtomicInteger();
        final AtomicInteger abandoned = new AtomicInteger();

        @Override
        public void write(List<CompletableFuture<String>> batch) {
            for (var f : batch) {
                f.complete("written");
            }
            written.addAndGet(batch.size());
        }

        @Override
        public void failed(List<CompletableFuture<String>> batch, Throwable cause) {
            batch.forEach(f -> f.completeExceptionally(cause));
        }

        @Override
        public void abandoned(List<CompletableFuture<String>> changes) {
            changes.forEach(f -> f.complete("abandoned"));
            abandoned.addAndGet(changes.size());
        }
    }

    @Test
    void everyChangeHandedInWhileClosingIsSettledExactlyOnce() throws Exception {
        // Submitters keep handing in changes until one is refused (at most 2 000 each), so every
        // close lands in the
        // middle of submits; a change queued after the close's last look must still be settled.
        int raced = 0;
        for (int round = 0; round < 300; round++) {
            var sink = new CompletingSink();
            var writer = new GroupCommitWriter<>("test-writer", 0, 8, Duration.ofMillis(1), sink);
            var running = new CountDownLatch(3);
            Queue<CompletableFuture<String>> futures = new ConcurrentLinkedQueue<>();
            AtomicInteger refused = new AtomicInteger();
            List<Thread> submitters = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                Thread th =
                        new Thread(
                                () -> {
                                    running.countDown();
                                    for (int i = 0; i < 2_000; i++) {
                                        var f = new CompletableFuture<String>();
                                        futures.add(f);
                                        if (!writer.offer(f)) {
                                            // Not accepted: the caller's to settle, as the
                                            // stores do (a shutdown error, a dropped record).
                                            f.complete("refused");
                                            refused.incrementAndGet();
                                            return;
                                        }
                                    }
                                });
                th.start();
                submitters.add(th);
            }
            running.await();
            writer.close(Duration.ofSeconds(10));
            for (Thread th : submitters) {
                th.join(TimeUnit.SECONDS.toMillis(10));
                assertThat(th.isAlive()).isFalse();
            }
            for (var f : futures) {
                assertThat(f).as("round %d: every future completes", round).isDone();
            }
            // Exactly once: no change both written and abandoned or refused.
            assertThat(sink.written.get() + sink.abandoned.get() + refused.get())
                    .isEqualTo(futures.size());
            assertThat(writer.isRunning()).isFalse();
            raced += refused.get() > 0 ? 1 : 0;
        }
        assertThat(raced).as("rounds whose close landed among submits").isPositive();
    }

    @Test
    void aFullQueueRefusesWithoutWaitingAndAcceptsOnceThereIsRoom() throws Exception {
        var release = new CountDownLatch(1);
        var writing = new CountDownLatch(1);
        var sink =
                new CompletingSink() {
                    @Override
                    public void write(List<CompletableFuture<String>> batch) {
                        writing.countDown();
                        awaitQuietly(release);
                        super.write(batch);
                    }
                };
        var writer = new GroupCommitWriter<>("test-writer", 2, 1, Duration.ofMillis(5), sink);
        try {
            var first = new CompletableFuture<String>();
            assertThat(writer.offer(first)).isTrue();
            assertThat(writing.await(10, TimeUnit.SECONDS)).isTrue(); // the writer holds it
            assertThat(writer.offer(new CompletableFuture<>())).isTrue();
            assertThat(writer.offer(new CompletableFuture<>())).isTrue();
            assertThat(writer.offer(new CompletableFuture<>())).isFalse(); // two wait: full
            release.countDown();
            var late = new CompletableFuture<String>();
            assertThat(writer.offer(late, Duration.ofSeconds(10))).isTrue();
            assertThat(late).succeedsWithin(Duration.ofSeconds(10)).isEqualTo("written");
            assertThat(first).isCompletedWithValue("written");
        } finally {
            release.countDown();
            writer.close(Duration.ofSeconds(10));
        }
    }

    @Test
    void aBatchThatThrowsIsFailedAndTheWriterCarriesOn() {
        var sink =
                new CompletingSink() {
                    @Override
                    public void write(List<CompletableFuture<String>> batch) {
                        if (batch.stream().anyMatch(f -> f.isDone())) {
                            throw new AssertionError("a change was settled twice");
                        }
                        if (written.getAndIncrement() == 0) {
                            throw new OutOfMemoryError("simulated");
                        }
                        super.write(batch);
                    }
                };
        var writer = new GroupCommitWriter<>("test-writer", 0, 1, Duration.ofMillis(5), sink);
        try {
            var doomed = new CompletableFuture<String>();
            writer.offer(doomed);
            assertThat(doomed)
                    .failsWithin(Duration.ofSeconds(10))
                    .withThrowableThat()
                    .havingRootCause()
                    .isInstanceOf(OutOfMemoryError.class);
            var next = new CompletableFuture<String>();
            writer.offer(next);
            assertThat(next).succeedsWithin(Duration.ofSeconds(10)).isEqualTo("written");
            assertThat(writer.isRunning()).isTrue();
        } finally {
            writer.close(Duration.ofSeconds(10));
        }
    }

    @Test
    void closeWritesWhatWasHandedInBeforeIt() {
        var sink = new CompletingSink();
        var writer = new GroupCommitWriter<>("test-writer", 0, 4, Duration.ofSeconds(30), sink);
        List<CompletableFuture<String>> futures = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            var f = new CompletableFuture<String>();
            assertThat(writer.offer(f)).isTrue();
            futures.add(f);
        }
        // The poll interval is 30 s: the close must wake the writer, not wait it out.
        writer.close(Duration.ofSeconds(10));
        assertThat(futures).allSatisfy(f -> assertThat(f).isCompletedWithValue("written"));
        var after = new CompletableFuture<String>();
        assertThat(writer.offer(after)).isFalse();
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void aLingeringWriterTakesChangesThatArriveMeanwhileInOneBatchAndAHurryEndsItsWait()
            throws Exception {
        List<List<String>> batches = new ArrayList<>();
        var firstWritten = new CountDownLatch(1);
        var secondWritten = new CountDownLatch(1);
        GroupCommitWriter.Sink<String> sink =
                new GroupCommitWriter.Sink<>() {
                    @Override
                    public void write(List<String> batch) {
                        synchronized (batches) {
                            batches.add(List.copyOf(batch));
                        }
                        (firstWritten.getCount() > 0 ? firstWritten : secondWritten).countDown();
                    }

                    @Override
                    public void failed(List<String> batch, Throwable cause) {}

                    @Override
                    public void abandoned(List<String> changes) {}
                };
        // A linger far longer than the test may take: only the hurry can end it.
        try (var writer =
                new GroupCommitWriter<>(
                        "test-writer", 0, 16, Duration.ofMillis(5), Duration.ofHours(1), sink)) {
            assertThat(writer.offer("a")).isTrue();
            assertThat(firstWritten.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(writer.offer("b")).isTrue();
            // what a flush does: its marker offered and the linger ended
            assertThat(writer.offerHurried("c", Duration.ofSeconds(1))).isTrue();
            assertThat(secondWritten.await(30, TimeUnit.SECONDS)).isTrue();
        }
        synchronized (batches) {
            assertThat(batches).containsExactly(List.of("a"), List.of("b", "c"));
        }
    }
}
