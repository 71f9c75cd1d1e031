package dev.kiln.host.events;

import dev.kiln.host.core.BackgroundLoops;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.FaultPoint;
import dev.kiln.host.core.FunctionName;
import dev.kiln.host.core.InvocationOutcome;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.core.TriggerKind;
import dev.kiln.host.invoke.InvocationRequest;
import dev.kiln.host.invoke.InvocationResult;
import dev.kiln.host.invoke.Invoker;
import dev.kiln.host.invoke.RequestIds;
import dev.kiln.host.observability.InvocationStore;
import dev.kiln.host.registry.FunctionInfo;
import dev.kiln.host.registry.Registry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Runs queued events through the {@link Invoker}: leases due events ahead in batches (up to 4 ×
 * {@code asyncWorkers} waiting to start, at most 8 × {@code asyncWorkers} leased at once, never
 * more of one function than its {@code maxConcurrency}), starts at most {@code asyncWorkers} at
 * once, then decides each one's fate — done, retry with backoff, or dead letter plus destinations —
 * and tells the queue. An event leaves the queue only after its invocation record is flushed
 * (attempts' records wait for room in the record queue instead of being dropped).
 */
final class Dispatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);
    private static final long IDLE_WAIT_MS = 1_000;

    /** Test seams: throw while an event starts, and while its fate is decided (ADR 0030). */
    static final FaultPoint LEASER_FAULTS = new FaultPoint();

    static final FaultPoint COMPLETER_FAULTS = new FaultPoint();

    private final EventQueue queue;
    private final Invoker invoker;
    private final Registry registry;
    private final InvocationStore records;
    private final AsyncConfigs configs;
    private final EventLimits limits;
    private final EventCounters counters;
    private final AttemptDecider decider;

    // Leased and not yet completed in the queue; of those, runningAttempts occupy a worker.
    // An attempt that has run but waits for its record flush and queue commit does not, so the
    // next events may start meanwhile (bounded by maxInFlight).
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger runningAttempts = new AtomicInteger();
    private final int maxInFlight;
    private final int prefetch;
    // Leased ahead, not started yet; touched only by the leasing thread (and by stop after it).
    private final ArrayDeque<QueuedEvent> ready = new ArrayDeque<>();
    private final BlockingQueue<Finished> finished = new LinkedBlockingQueue<>();
    private final Object signal = new Object();
    private boolean signalled; // guarded by signal
    private volatile boolean running = true;
    private final Thread leaser;
    private final Thread completer;

    /** An attempt that ended: its result, or null when it could not start. */
    private record Finished(QueuedEvent event, InvocationResult result, Completion early) {}

    Dispatcher(
            EventQueue queue,
            Invoker invoker,
            Registry registry,
            InvocationStore records,
            AsyncConfigs configs,
            EventLimits limits,
            EventCounters counters,
            RetryPolicy retries) {
        this.queue = queue;
        this.invoker = invoker;
        this.registry = registry;
        this.records = records;
        this.configs = configs;
        this.limits = limits;
        this.counters = counters;
        this.decider = new AttemptDecider(retries, limits.throttleDelay());
        this.prefetch = limits.asyncWorkers() * 4;
        this.maxInFlight = limits.asyncWorkers() * 8;
        queue.onChange(this::wake);
        this.leaser = new Thread(this::leaseLoop, "kiln-event-dispatcher");
        this.leaser.setDaemon(true);
        this.completer = new Thread(this::completeLoop, "kiln-event-completer");
        this.completer.setDaemon(true);
    }

    void start() {
        leaser.start();
        completer.start();
    }

    /** Events being attempted now. */
    int inFlight() {
        return inFlight.get();
    }

    void wake() {
        synchronized (signal) {
            signalled = true;
            signal.notifyAll();
        }
    }

    private void leaseLoop() {
        while (running) {
            try {
                if (!leaseRound()) {
                    return;
                }
            } catch (Throwable e) { // an Error must not end the only leasing thread (ADR 0030)
                if (!BackgroundLoops.survived(log, leaser.getName(), e)) {
                    return;
                }
            }
        }
    }

    /** Starts what was leased ahead, leases more, or waits; false when stopping. */
    // One timed wait per round: any wakeup, spurious or not, only makes the caller's loop run a
    // round early.
    @SuppressWarnings("WaitNotInLoop")
    private boolean leaseRound() {
        // Start what was leased ahead while workers are free.
        while (!ready.isEmpty() && runningAttempts.get() < limits.asyncWorkers()) {
            runningAttempts.incrementAndGet();
            start(ready.poll());
        }
        // Lease ahead in batches: one commit covers many leases.
        int free = Math.min(prefetch - ready.size(), maxInFlight - inFlight.get());
        List<QueuedEvent> leased = List.of();
        if (free > 0) {
            try {
                leased = queue.lease(free, Instant.now(), this::inFlightCap).get();
            } catch (ExecutionException e) {
                log.warn("leasing events failed; trying again shortly", e.getCause());
                sleep(IDLE_WAIT_MS);
                return true;
            } catch (InterruptedException e) {
                return false;
            }
        }
        inFlight.addAndGet(leased.size());
        ready.addAll(leased);
        if (!leased.isEmpty()) {
            return true; // start them, and there may be more due right now
        }
        long waitMs = IDLE_WAIT_MS;
        try {
            Optional<Instant> next = queue.nextDueAfter(Instant.now());
            if (next.isPresent()) {
                waitMs =
                        Math.max(
                                1,
                                Math.min(
                                        waitMs,
                                        Duration.between(Instant.now(), next.get()).toMillis()
                                                + 1));
            }
        } catch (KilnException e) {
            // Logged by the queue; poll again after the idle wait.
        }
        synchronized (signal) {
            if (!signalled && running) {
                try {
                    signal.wait(waitMs);
                } catch (InterruptedException e) {
                    return false;
                }
            }
            signalled = false;
        }
        return true;
    }

    /**
     * Gives back events leased ahead that never started, without counting the attempt their lease
     * counted.
     */
    // whenComplete's own future is dropped: the callback only counts down and cannot fail.
    @SuppressWarnings("FutureReturnValueIgnored")
    private void releaseReady() {
        for (QueuedEvent e : ready) {
            queue.complete(
                            e,
                            new Completion.Retry(
                                    Instant.now(), e.lastError(), e.lastMessage(), false))
                    .whenComplete((v, x) -> inFlight.decrementAndGet());
        }
        ready.clear();
    }

    private int inFlightCap(FunctionName function) {
        return registry.find(function.service(), function.function())
                .map(f -> f.settings().maxConcurrency())
                .orElse(0);
    }

    private void start(QueuedEvent e) {
        AsyncConfig config = configs.of(e.service(), e.function());
        Instant now = Instant.now();
        Optional<AttemptDecision.DeadLetter> tooOld =
                decider.beforeStart(e.attempts(), e.createdAt(), now, config);
        if (tooOld.isPresent()) {
            ended(
                    new Finished(
                            e,
                            null,
                            deadLetter(e, config, tooOld.get(), e.lastError(), e.lastMessage())));
            return;
        }
        var request =
                new InvocationRequest(
                        e.requestId(),
                        e.service(),
                        e.function(),
                        e.trigger(),
                        e.payload(),
                        null,
                        e.attempts(),
                        e.qualifier(),
                        0,
                        null,
                        e.trace());
        try {
            LEASER_FAULTS.pass();
            invoker.submit(request, result -> ended(new Finished(e, result, null)));
        } catch (KilnException x) {
            if (x.code() == ErrorCode.FUNCTION_NOT_FOUND) {
                ended(new Finished(e, null, new Completion.Discarded(x.getMessage())));
            } else {
                ended(
                        new Finished(
                                e,
                                null,
                                decided(
                                        e,
                                        config,
                                        AttemptOutcome.REFUSED,
                                        now,
                                        x.code().wire(),
                                        x.getMessage())));
            }
        } catch (RuntimeException | Error x) {
            // Leased, so it must end here: retried, never left leased until a restart.
            if (x instanceof Error) {
                BackgroundLoops.survived(log, leaser.getName(), x);
            } else {
                log.error("starting event {} failed", e.requestId(), x);
            }
            ended(
                    new Finished(
                            e,
                            null,
                            decided(
                                    e,
                                    config,
                                    AttemptOutcome.START_CRASHED,
                                    now,
                                    ErrorCode.INTERNAL.wire(),
                                    "the event could not be started")));
        }
    }

    /** An attempt stopped occupying a worker: hand it to the completer, let the next one start. */
    private void ended(Finished f) {
        runningAttempts.decrementAndGet();
        finished.add(f);
        wake();
    }

    private void completeLoop() {
        List<Finished> batch = new ArrayList<>();
        while (running || inFlight.get() > 0) {
            try {
                Finished first = finished.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                finished.drainTo(batch);
            } catch (InterruptedException e) {
                return;
            }
            try {
                // The invocation records of these attempts are written before their events leave
                // the queue: an event whose record is missing after a crash is still queued.
                records.flush();
                for (Finished f : batch) {
                    finish(f);
                }
            } catch (Throwable e) { // an Error must not end the only completer (ADR 0030)
                if (!BackgroundLoops.survived(log, completer.getName(), e)) {
                    return;
                }
            } finally {
                batch.clear();
            }
        }
    }

    // whenComplete's own future is dropped: the callback logs the queue's failure itself.
    @SuppressWarnings("FutureReturnValueIgnored")
    private void finish(Finished f) {
        QueuedEvent e = f.event();
        Completion c;
        try {
            COMPLETER_FAULTS.pass();
            c = f.early() != null ? f.early() : decide(e, f.result());
        } catch (RuntimeException | Error x) {
            // Its lease must end all the same: the event is tried again shortly.
            if (x instanceof Error) {
                BackgroundLoops.survived(log, completer.getName(), x);
            } else {
                log.error("deciding the fate of event {} failed", e.requestId(), x);
            }
            c = new Completion.Retry(Instant.now().plusSeconds(1), "internal", null, false);
        }
        Completion done = c;
        // An attempt ran unless it never started or found its function at capacity.
        boolean ran =
                f.result() != null
                        && !(f.result().outcome() instanceof InvocationOutcome.Overloaded)
                        && !(f.result().outcome() instanceof InvocationOutcome.RateLimited);
        queue.complete(e, c)
                .whenComplete(
                        (v, x) -> {
                            // Counted once stored, attempts included, so the counters never run
                            // ahead of the queue's depth; a completion that is not stored runs
                            // again and is counted then. A deleted function's last attempts do
                            // not bring back the counters its deletion dropped.
                            if (x == null && registry.find(e.service(), e.function()).isPresent()) {
                                count(e, done);
                                // After the outcome: a snapshot reads attempts first, so it
                                // never shows an attempt without its outcome.
                                if (ran) {
                                    counters.add(e.functionKey(), EventCounters.Kind.ATTEMPT);
                                }
                            }
                            inFlight.decrementAndGet();
                            if (x != null) {
                                // The queue ended the lease anyway: the event stays as stored
                                // and runs again (at least once), its function not held up.
                                log.error(
                                        "completing event {} failed; it will run again",
                                        e.requestId(),
                                        x);
                            }
                            wake();
                        });
    }

    private void count(QueuedEvent e, Completion c) {
        FunctionName fn = e.functionKey();
        switch (c) {
            case Completion.Done d -> counters.add(fn, EventCounters.Kind.SUCCEEDED);
            case Completion.Retry r ->
                    counters.add(
                            fn,
                            r.counted()
                                    ? EventCounters.Kind.RETRIED
                                    : EventCounters.Kind.THROTTLED);
            case Completion.DeadLettered d ->
                    counters.add(
                            fn,
                            d.keepInList() || !d.followUps().isEmpty()
                                    ? EventCounters.Kind.DEAD_LETTERED
                                    : EventCounters.Kind.DISCARDED);
            case Completion.Discarded d -> counters.add(fn, EventCounters.Kind.DISCARDED);
        }
    }

    private Completion decide(QueuedEvent e, InvocationResult result) {
        AsyncConfig config = configs.of(e.service(), e.function());
        MDC.put("requestId", e.requestId());
        try {
            return switch (result.outcome()) {
                case InvocationOutcome.Ok ok -> {
                    List<NewEvent> followUps = new ArrayList<>();
                    if (e.depth() == 0 && config.onSuccess() != null) {
                        destinationEvent(
                                        config.onSuccess(),
                                        e,
                                        "on_success",
                                        DestinationRecords.record(
                                                e,
                                                "success",
                                                e.attempts(),
                                                InvocationOutcome.OK_WIRE,
                                                null,
                                                ok.body(),
                                                limits.maxEventBytes()))
                                .ifPresent(followUps::add);
                    }
                    yield new Completion.Done(followUps);
                }
                case InvocationOutcome.Overloaded o ->
                        neverRan(e, config, o.code().wire(), o.message());
                // Refused by its service's quota (ADR 0034): it never ran either.
                case InvocationOutcome.RateLimited o ->
                        neverRan(e, config, o.code().wire(), o.message());
                case InvocationOutcome.Failure failure -> {
                    AttemptDecision d =
                            decider.decide(
                                    AttemptOutcome.FAILED,
                                    e.attempts(),
                                    e.createdAt(),
                                    Instant.now(),
                                    config);
                    if (d instanceof AttemptDecision.Retry r) {
                        log.info(
                                "event attempt {} of {}/{} failed ({}); next at {}",
                                e.attempts(),
                                e.service(),
                                e.function(),
                                failure.code().wire(),
                                r.at());
                    }
                    yield completion(e, config, d, failure.code().wire(), failure.message());
                }
            };
        } finally {
            MDC.remove("requestId");
        }
    }

    /** Never ran: put back without using up an attempt, while it is young enough. */
    private Completion neverRan(QueuedEvent e, AsyncConfig config, String code, String message) {
        return decided(e, config, AttemptOutcome.OVERLOADED, Instant.now(), code, message);
    }

    /** What the decider makes of {@code outcome} at {@code now}, as a completion. */
    private Completion decided(
            QueuedEvent e,
            AsyncConfig config,
            AttemptOutcome outcome,
            Instant now,
            String code,
            String message) {
        return completion(
                e,
                config,
                decider.decide(outcome, e.attempts(), e.createdAt(), now, config),
                code,
                message);
    }

    /**
     * The completion of an attempt that did not succeed, as {@code decision} says; {@code
     * errorCode} and {@code message} describe how the attempt ended.
     */
    private Completion completion(
            QueuedEvent e,
            AsyncConfig config,
            AttemptDecision decision,
            String errorCode,
            String message) {
        return switch (decision) {
            case AttemptDecision.Retry r ->
                    new Completion.Retry(r.at(), errorCode, message, r.counted());
            case AttemptDecision.DeadLetter d -> deadLetter(e, config, d, errorCode, message);
            case AttemptDecision.Done d ->
                    throw new IllegalStateException("a failed attempt is never done");
        };
    }

    private Completion deadLetter(
            QueuedEvent e,
            AsyncConfig config,
            AttemptDecision.DeadLetter decision,
            String errorCode,
            String message) {
        String reason = decision.reason().wire();
        int attempts = decision.attempts();
        List<NewEvent> followUps = new ArrayList<>();
        boolean keep = false;
        Destination target = config.deadLetter();
        // A destination's own event never feeds another function: no loops between functions.
        if (e.depth() > 0 && target instanceof Destination.FunctionTarget) {
            target = new Destination.DeadLetterList();
        }
        byte[] record = null;
        if (target instanceof Destination.FunctionTarget || config.onFailure() != null) {
            record =
                    DestinationRecords.record(
                            e, reason, attempts, errorCode, message, null, limits.maxEventBytes());
        }
        switch (target) {
            case Destination.DeadLetterList l -> keep = true;
            case Destination.Discard d -> keep = false;
            case Destination.FunctionTarget t -> {
                Optional<NewEvent> sent = destinationEvent(t, e, "dead_letter", record);
                sent.ifPresent(followUps::add);
                keep = sent.isEmpty(); // the target is gone: keep it in the list instead
            }
        }
        if (e.depth() == 0 && config.onFailure() != null) {
            destinationEvent(config.onFailure(), e, "on_failure", record).ifPresent(followUps::add);
        }
        log.warn(
                "event {} of {}/{} {} after {} attempts (last: {}); {}",
                e.requestId(),
                e.service(),
                e.function(),
                reason,
                attempts,
                errorCode,
                keep ? "kept as a dead letter" : followUps.isEmpty() ? "dropped" : "sent on");
        return new Completion.DeadLettered(reason, attempts, errorCode, message, keep, followUps);
    }

    private Optional<NewEvent> destinationEvent(
            Destination.FunctionTarget target, QueuedEvent from, String kind, byte[] record) {
        Optional<FunctionInfo> fn = registry.find(target.service(), target.function());
        if (fn.isEmpty()) {
            log.warn(
                    "{} destination {} of {} does not exist; skipped",
                    kind,
                    target.key(),
                    from.functionKey());
            return Optional.empty();
        }
        return Optional.of(
                new NewEvent(
                        new EventFields(
                                RequestIds.next(),
                                target.service(),
                                target.function(),
                                TriggerKind.EVENT.wire(),
                                kind + ":" + from.functionKey(),
                                record),
                        from.depth() + 1,
                        target.qualifier()));
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Stops leasing and waits up to {@code grace} for attempts in flight to be recorded; events
     * still running after that stay in the queue and run again after a restart.
     */
    void stop(Duration grace) {
        running = false;
        wake();
        long deadline = System.nanoTime() + grace.toNanos();
        try {
            leaser.join(Math.max(1, grace.toMillis()));
            if (!leaser.isAlive()) {
                releaseReady();
            }
            while (inFlight.get() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            completer.join(
                    Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        completer.interrupt();
    }

    @Override
    public void close() {
        stop(Duration.ofSeconds(10));
    }
}
