package dev.kiln.host.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.FunctionName;
import dev.kiln.host.core.KilnException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded queue on real SQLite files: bounds, leases, retries, marks, restarts. */
class SqliteEventQueueTest {
    @TempDir Path data;

    static NewEvent event(String id, String function) {
        return new NewEvent(
                new EventFields(
                        id,
                        "svc",
                        function,
                        "invoke",
                        "invoke",
                        id.getBytes(StandardCharsets.UTF_8)),
                0,
                null);
    }

    static SqliteEventQueue open(Path data, int maxQueued) {
        return SqliteEventQueue.open(data, key -> maxQueued);
    }

    @Test
    void aFullQueueRefusesTheWholeEnqueueWithOverloaded() {
        try (var q = open(data, 3)) {
            assertThat(
                            q.enqueue(
                                            List.of(event("a", "f"), event("b", "f")),
                                            null,
                                            EventQueue.Overflow.REJECT)
                                    .join())
                    .isTrue();
            // Two more do not fit (2 + 2 > 3): neither is stored.
            assertThatThrownBy(
                            () ->
                                    q.enqueue(
                                                    List.of(event("c", "f"), event("d", "f")),
                                                    null,
                                                    EventQueue.Overflow.REJECT)
                                            .join())
                    .isInstanceOf(CompletionException.class)
                    .cause()
                    .isInstanceOf(KilnException.class)
                    .extracting(e -> ((KilnException) e).code())
                    .isEqualTo(ErrorCode.OVERLOADED);
            assertThat(q.stats("svc", "f").depth()).isEqualTo(2);
            // Another function's queue is separate.
            assertThat(q.enqueue(List.of(event("e", "g")), null, EventQueue.Overflow.REJECT).join())
                    .isTrue();
            assertThat(q.enqueue(List.of(event("c", "f")), null, EventQueue.Overflow.REJECT).join())
                    .isTrue();
            assertThat(q.queued("svc", "f", 10, 0))
                    .extracting(QueuedEvent::requestId)
                    .containsExactly("a", "b", "c");
        }
    }

    @Test
    void leasesCountAttemptsDurablyAndAreReleasedByACrash() {
        try (var q = open(data, 100)) {
            q.enqueue(List.of(event("a", "f"), event("b", "f")), null, EventQueue.Overflow.REJECT)
                    .join();
            List<QueuedEvent> leased = q.lease(10, Instant.now(), k -> 0).join();
            assertThat(leased).extracting(QueuedEvent::attempts).containsExactly(1, 1);
            assertThat(new String(leased.get(0).payload(), StandardCharsets.UTF_8)).isEqualTo("a");
            // Leased events are not handed out twice.
            assertThat(q.lease(10, Instant.now(), k -> 0).join()).isEmpty();
            assertThat(q.stats("svc", "f").leased()).isEqualTo(2);
        } // closed with both leases out: as if the process had died
        try (var q = open(data, 100)) {
            List<QueuedEvent> again = q.lease(10, Instant.now(), k -> 0).join();
            assertThat(again).extracting(QueuedEvent::requestId).containsExactly("a", "b");
            assertThat(again).extracting(QueuedEvent::attempts).containsExactly(2, 2);
        }
    }

    @Test
    void perFunctionCapsLimitLeases() {
        try (var q = open(data, 100)) {
            List<NewEvent> batch = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                batch.add(event("f" + i, "f"));
                batch.add(event("g" + i, "g"));
            }
            q.enqueue(batch, null, EventQueue.Overflow.REJECT).join();
            var leased =
                    q.lease(10, Instant.now(), k -> k.equals(new FunctionName("svc", "f")) ? 2 : 0)
                            .join();
            assertThat(leased.stream().filter(e -> e.function().equals("f"))).hasSize(2);
            assertThat(leased.stream().filter(e -> e.function().equals("g"))).hasSize(5);
            assertThat(
                            q.lease(
                                            10,
                                            Instant.now(),
                                            k -> k.equals(new FunctionName("svc", "f")) ? 2 : 0)
                                    .join())
                    .isEmpty();
            q.complete(leased.get(0), new Completion.Done(List.of())).join();
            assertThat(
                            q.lease(
                                            10,
                                            Instant.now(),
                                            k -> k.equals(new FunctionName("svc", "f")) ? 2 : 0)
                                    .join())
                    .hasSize(1);
        }
    }

    @Test
    void aCappedFunctionsBacklogDoesNotHideOtherFunctionsEvents() {
        try (var q = open(data, 1_000)) {
            List<NewEvent> backlog = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                backlog.add(event("f" + i, "f"));
            }
            q.enqueue(backlog, null, EventQueue.Overflow.REJECT).join();
            q.enqueue(List.of(event("g0", "g")), null, EventQueue.Overflow.REJECT).join();
            // f may run one at a time; its 99 older events must not keep g's from being leased,
            // neither in the lease that fills f's cap nor in the ones after it.
            var first =
                    q.lease(8, Instant.now(), k -> k.equals(new FunctionName("svc", "f")) ? 1 : 0)
                            .join();
            assertThat(first).extracting(QueuedEvent::requestId).containsExactly("f0", "g0");
            assertThat(
                            q.lease(
                                            8,
                                            Instant.now(),
                                            k -> k.equals(new FunctionName("svc", "f")) ? 1 : 0)
                                    .join())
                    .isEmpty();
            q.enqueue(List.of(event("g1", "g")), null, EventQueue.Overflow.REJECT).join();
            assertThat(
                            q.lease(
                                            8,
                                            Instant.now(),
                                            k -> k.equals(new FunctionName("svc", "f")) ? 1 : 0)
                                    .join())
                    .extracting(QueuedEvent::requestId)
                    .containsExactly("g1");
            // Once f's attempt ends, its next event is leased, still one at a time.
            q.complete(first.get(0), new Completion.Done(List.of())).join();
            assertThat(
                            q.lease(
                                            8,
                                            Instant.now(),
                                            k -> k.equals(new FunctionName("svc", "f")) ? 1 : 0)
                                    .join())
                    .extracting(QueuedEvent::requestId)
                    .containsExactly("f1");
        }
    }

    @Test
    void aCompletionThatCannotBeStoredEndsTheLeaseSoTheEventRunsAgain() {
        try (var q = open(data, 100)) {
            q.enqueue(List.of(event("a", "f"), event("b", "g")), null, EventQueue.Overflow.REJECT)
                    .join();
            var a = q.lease(1, Instant.now(), k -> 1).join().get(0);
            assertThat(a.requestId()).isEqualTo("a");
            // A follow-up event with the request id of a stored one breaks a unique key: the
            // database refuses the whole completion, and the event stays as stored.
            var refused = q.complete(a, new Completion.Done(List.of(event("b", "dest"))));
            assertThatThrownBy(refused::join)
                    .isInstanceOf(CompletionException.class)
                    .cause()
                    .isInstanceOf(KilnException.class);
            assertThat(q.stats("svc", "f").depth()).isEqualTo(1);
            // Not leased any more: f (at most one at a time) is not stuck, and a runs again.
            assertThat(q.stats("svc", "f").leased()).isZero();
            var again = q.lease(10, Instant.now(), k -> 1).join();
            assertThat(again)
                    .filteredOn(e -> e.function().equals("f"))
                    .singleElement()
                    .satisfies(
                            e -> {
                                assertThat(e.requestId()).isEqualTo("a");
                                assertThat(e.attempts()).isEqualTo(2);
                            });
        }
    }

    @Test
    void retriesWaitTheirTurnAndThrottledTriesDoNotCount() {
        try (var q = open(data, 100)) {
            q.enqueue(List.of(event("a", "f")), null, EventQueue.Overflow.REJECT).join();
            var e = q.lease(1, Instant.now(), k -> 0).join().get(0);
            Instant later = Instant.now().plusSeconds(60);
            q.complete(e, new Completion.Retry(later, "guest_trap", "boom", true)).join();
            assertThat(q.lease(1, Instant.now(), k -> 0).join()).isEmpty();
            assertThat(q.nextDueAfter(Instant.now()))
                    .hasValueSatisfying(
                            t -> assertThat(t.toEpochMilli()).isEqualTo(later.toEpochMilli()));
            var retried = q.lease(1, later.plusMillis(1), k -> 0).join().get(0);
            assertThat(retried.attempts()).isEqualTo(2);
            assertThat(retried.lastError()).isEqualTo("guest_trap");
            q.complete(retried, new Completion.Retry(Instant.now(), "overloaded", "busy", false))
                    .join();
            assertThat(q.lease(1, Instant.now().plusMillis(5), k -> 0).join().get(0).attempts())
                    .isEqualTo(2);
        }
    }

    @Test
    void deadLettersKeepTheEventAndCanBeRedrivenOrDeleted() {
        try (var q = open(data, 100)) {
            q.enqueue(List.of(event("a", "f"), event("b", "f")), null, EventQueue.Overflow.REJECT)
                    .join();
            for (var e : q.lease(2, Instant.now(), k -> 0).join()) {
                q.complete(
                                e,
                                new Completion.DeadLettered(
                                        "retries_exhausted",
                                        3,
                                        "guest_trap",
                                        "unreachable",
                                        true,
                                        List.of(event("d-" + e.requestId(), "dlq"))))
                        .join();
            }
            assertThat(q.stats("svc", "f").depth()).isZero();
            assertThat(q.stats("svc", "f").deadLetters()).isEqualTo(2);
            assertThat(q.stats("svc", "dlq").depth()).isEqualTo(2);
            DeadLetter a = q.deadLetter("svc", "f", "a").orElseThrow();
            assertThat(a.attempts()).isEqualTo(3);
            assertThat(a.reason()).isEqualTo("retries_exhausted");
            assertThat(new String(a.payload(), StandardCharsets.UTF_8)).isEqualTo("a");
            assertThat(q.deadLetters("svc", "f", 10, 0))
                    .extracting(DeadLetter::requestId)
                    .containsExactly("b", "a");

            assertThat(q.redrive("svc", "f", "a").join()).isEqualTo(1);
            assertThat(q.deleteDeadLetter("svc", "f", "b").join()).isTrue();
            assertThat(q.deleteDeadLetter("svc", "f", "b").join()).isFalse();
            var redriven =
                    q.lease(10, Instant.now(), k -> k.equals(new FunctionName("svc", "f")) ? 0 : -1)
                            .join();
            assertThat(redriven)
                    .filteredOn(e -> e.function().equals("f"))
                    .singleElement()
                    .satisfies(e -> assertThat(e.attempts()).isEqualTo(1));
        }
    }

    @Test
    void aFireMarkStoresItsEventAtMostOnce() {
        try (var q = open(data, 100)) {
            Instant t = Instant.parse("2026-01-01T00:00:00Z");
            var mark = new FireMark("timer:svc/f/t1", t);
            assertThat(
                            q.enqueue(List.of(event("x1", "f")), mark, EventQueue.Overflow.REJECT)
                                    .join())
                    .isTrue();
            assertThat(
                            q.enqueue(List.of(event("x2", "f")), mark, EventQueue.Overflow.REJECT)
                                    .join())
                    .isFalse();
            assertThat(
                            q.enqueue(
                                            List.of(event("x3", "f")),
                                            new FireMark(mark.key(), t.minusSeconds(1)),
                                            EventQueue.Overflow.REJECT)
                                    .join())
                    .isFalse();
        }
        try (var q = open(data, 1)) {
            assertThat(q.lastMark("timer:svc/f/t1"))
                    .contains(Instant.parse("2026-01-01T00:00:00Z"));
            // The queue is full (1 of 1): the fire is dropped but still marked.
            var next = new FireMark("timer:svc/f/t1", Instant.parse("2026-01-01T00:01:00Z"));
            assertThat(
                            q.enqueue(
                                            List.of(event("x4", "f")),
                                            next,
                                            EventQueue.Overflow.DROP_EVENTS)
                                    .join())
                    .isFalse();
            assertThat(q.lastMark("timer:svc/f/t1")).contains(next.scheduledAt());
            assertThat(q.queued("svc", "f", 10, 0))
                    .extracting(QueuedEvent::requestId)
                    .containsExactly("x1");
        }
    }

    @Test
    void fireMarksAreDeletedByKeyOrByPrefixTakenLiterally() {
        try (var q = open(data, 100)) {
            Instant t = Instant.parse("2026-01-01T00:00:00Z");
            for (String key : List.of("timer:s/f_x/a", "timer:s/f_x/b", "timer:s/fax/a")) {
                q.enqueue(List.of(), new FireMark(key, t), EventQueue.Overflow.REJECT).join();
            }
            assertThat(q.deleteMark("timer:s/f_x/b").join()).isTrue();
            assertThat(q.deleteMark("timer:s/f_x/b").join()).isFalse();
            // "_" is no wildcard: the other function's mark stays.
            assertThat(q.deleteMarksWithPrefix("timer:s/f_x/").join()).isEqualTo(1);
            assertThat(q.lastMark("timer:s/f_x/a")).isEmpty();
            assertThat(q.lastMark("timer:s/fax/a")).contains(t);
        }
    }

    @Test
    void concurrentEnqueuesShareCommitsAndAllSurviveAReopen() {
        int n = 400;
        Set<String> ids = new HashSet<>();
        try (var q = open(data, 10_000)) {
            List<CompletableFuture<Boolean>> acks = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int base = t * (n / 8);
                Thread th =
                        new Thread(
                                () -> {
                                    for (int i = 0; i < n / 8; i++) {
                                        var f =
                                                q.enqueue(
                                                        List.of(event("e" + (base + i), "f")),
                                                        null,
                                                        EventQueue.Overflow.REJECT);
                                        synchronized (acks) {
                                            acks.add(f);
                                        }
                                    }
                                });
                threads.add(th);
                th.start();
            }
            for (Thread th : threads) {
                th.join();
            }
            for (var f : acks) {
                assertThat(f.join()).isTrue();
            }
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        try (var q = open(data, 10_000)) {
            assertThat(q.stats("svc", "f").depth()).isEqualTo(n);
            for (var e : q.queued("svc", "f", 200, 0)) {
                ids.add(e.requestId());
            }
            assertThat(ids).hasSize(200);
        }
    }

    @Test
    void writesToOtherTablesOfTheSameFileDoNotFailQueueChanges() throws Exception {
        try (var q = open(data, 100_000);
                var other =
                        dev.kiln.host.storage.DocumentTable.open(
                                data.resolve("events.db"), "triggers")) {
            var stop = new java.util.concurrent.atomic.AtomicBoolean();
            Thread writer =
                    new Thread(
                            () -> {
                                for (int i = 0; !stop.get(); i++) {
                                    other.put("svc/f", "t" + (i % 10), "{\"n\":" + i + "}");
                                    try {
                                        Thread.sleep(2); // settings writes are occasional
                                    } catch (InterruptedException e) {
                                        return;
                                    }
                                }
                            });
            writer.start();
            try {
                for (int i = 0; i < 60; i++) {
                    q.enqueue(List.of(event("e" + i, "f")), null, EventQueue.Overflow.REJECT)
                            .join();
                    for (var e : q.lease(5, Instant.now(), k -> 0).join()) {
                        q.complete(e, new Completion.Done(List.of())).join();
                    }
                }
            } finally {
                stop.set(true);
                writer.join();
            }
            assertThat(q.stats("svc", "f").depth()).isZero();
        }
    }

    @Test
    void purgeForgetsAFunction() {
        try (var q = open(data, 100)) {
            q.enqueue(List.of(event("a", "f"), event("b", "g")), null, EventQueue.Overflow.REJECT)
                    .join();
            q.purge("svc", "f").join();
            assertThat(q.stats("svc", "f").depth()).isZero();
            assertThat(q.stats("svc", "g").depth()).isEqualTo(1);
            assertThat(q.allStats()).containsOnlyKeys(new FunctionName("svc", "g"));
        }
    }

    @Test
    void everyChangeHandedInWhileTheQueueClosesCompletes() throws Exception {
        // Enqueues race the close: each future must complete, stored or refused with
        // overloaded, never be left waiting (issue 14).
        for (int round = 0; round < 10; round++) {
            Path dir = data.resolve("round-" + round);
            var q = open(dir, 1_000_000);
            var running = new java.util.concurrent.CountDownLatch(2);
            java.util.Queue<CompletableFuture<Boolean>> futures =
                    new java.util.concurrent.ConcurrentLinkedQueue<>();
            List<Thread> submitters = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                int thread = t;
                Thread th =
                        new Thread(
                                () -> {
                                    running.countDown();
                                    for (int i = 0; i < 300; i++) {
                                        var f =
                                                q.enqueue(
                                                        List.of(event(thread + "-" + i, "f")),
                                                        null,
                                                        EventQueue.Overflow.REJECT);
                                        futures.add(f);
                                        if (f.isCompletedExceptionally()) {
                                            return; // refused at once: the queue is closed
                                        }
                                    }
                                });
                th.start();
                submitters.add(th);
            }
            running.await();
            q.close();
            for (Thread th : submitters) {
                th.join(10_000);
                assertThat(th.isAlive()).isFalse();
            }
            int stored = 0;
            for (var f : futures) {
                Object outcome =
                        f.handle(
                                        (ok, e) ->
                                                e == null
                                                        ? ok
                                                        : e instanceof CompletionException c
                                                                ? c.getCause()
                                                                : e)
                                .get(10, java.util.concurrent.TimeUnit.SECONDS);
                if (outcome instanceof KilnException k) {
                    assertThat(k.code()).isEqualTo(ErrorCode.OVERLOADED);
                } else {
                    assertThat(outcome).isEqualTo(true);
                    stored++;
                }
            }
            // Exactly what completed as stored is stored.
            try (var reopened = open(dir, 1_000_000)) {
                assertThat(reopened.stats("svc", "f").depth()).isEqualTo(stored);
            }
        }
    }
}
