package dev.kiln.host.triggers;

import dev.kiln.host.core.BackgroundLoops;
import dev.kiln.host.core.FaultPoint;
import dev.kiln.host.core.TriggerKind;
import dev.kiln.host.events.EventFields;
import dev.kiln.host.events.EventQueue;
import dev.kiln.host.events.Events;
import dev.kiln.host.events.FireMark;
import dev.kiln.host.events.NewEvent;
import dev.kiln.host.invoke.RequestIds;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fires timer triggers. Each fire is an event stored together with a fire mark (the scheduled time)
 * in one transaction, so a scheduled time fires at most once, even across crashes. On start, a fire
 * that was due while Kiln was down runs once or is skipped, per trigger; several missed fires of
 * one trigger collapse into one.
 */
final class TimerScheduler implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TimerScheduler.class);
    private static final Duration MAX_SLEEP = Duration.ofSeconds(30);

    /** Test seam: throws in the evaluation of a timer (ADR 0030). */
    static final FaultPoint FAULTS = new FaultPoint();

    private final TriggerStore store;
    private final Events events;
    private final Instant startedAt = Instant.now();
    private final Map<String, Instant> marks = new ConcurrentHashMap<>();
    // Held while a fire checks that its trigger still exists and submits its event and mark, and
    // while triggers are deleted with their marks: the queue applies changes in the order they
    // were submitted, so a deleted timer's mark is never stored again after its deletion.
    private final Object fireLock = new Object();
    private final Object signal = new Object();
    private boolean changed; // guarded by signal
    private volatile boolean running = true;
    private final Thread thread;

    TimerScheduler(TriggerStore store, Events events) {
        this.store = store;
        this.events = events;
        this.thread = new Thread(this::loop, "kiln-timers");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Triggers changed: look again now. */
    void wake() {
        synchronized (signal) {
            changed = true;
            signal.notifyAll();
        }
    }

    /**
     * Runs {@code deletion} (which removes triggers and submits the deletion of their marks) while
     * no fire is being submitted.
     */
    <T> T deleting(Supplier<T> deletion) {
        synchronized (fireLock) {
            return deletion.get();
        }
    }

    /** Drops the cached last fire of a deleted timer. */
    void forget(String fireKey) {
        marks.remove(fireKey);
    }

    /** Drops the cached last fires of the timers whose fire keys start with {@code prefix}. */
    void forgetWithPrefix(String prefix) {
        marks.keySet().removeIf(k -> k.startsWith(prefix));
    }

    /** The next time {@code t} will fire, if it is an enabled timer. */
    Optional<Instant> nextFire(Trigger t) {
        if (!t.enabled() || !(t.source() instanceof Trigger.TimerSource timer)) {
            return Optional.empty();
        }
        Instant from = Instant.now();
        return timer.schedule()
                .nextAfter(from.isBefore(t.scheduledFrom()) ? t.scheduledFrom() : from);
    }

    private void loop() {
        while (running) {
            try {
                if (!round()) {
                    return;
                }
            } catch (Throwable e) { // an Error must not end the only timer thread (ADR 0030)
                if (!BackgroundLoops.survived(log, thread.getName(), e)) {
                    return;
                }
            }
        }
    }

    /** Fires what is due, then waits for the next fire or a change; false when stopping. */
    // One timed wait per round: any wakeup, spurious or not, only makes the caller's loop run a
    // round early.
    @SuppressWarnings("WaitNotInLoop")
    private boolean round() {
        Instant now = Instant.now();
        Instant wakeAt = now.plus(MAX_SLEEP);
        for (Trigger t : store.all()) {
            if (!running) {
                return false;
            }
            if (t.enabled() && t.source() instanceof Trigger.TimerSource timer) {
                try {
                    FAULTS.pass();
                    Instant next = evaluate(t, timer, now);
                    if (next != null && next.isBefore(wakeAt)) {
                        wakeAt = next;
                    }
                } catch (RuntimeException e) {
                    log.error("timer trigger {} of {} failed", t.id(), t.functionKey(), e);
                } catch (Error e) {
                    // The other timers still fire this round; this one is looked at again next.
                    if (!BackgroundLoops.survived(log, thread.getName(), e)) {
                        return false;
                    }
                    wakeAt = Instant.now();
                }
            }
        }
        long waitMs = Math.max(1, Duration.between(Instant.now(), wakeAt).toMillis() + 1);
        synchronized (signal) {
            if (!changed && running) {
                try {
                    signal.wait(waitMs);
                } catch (InterruptedException e) {
                    return false;
                }
            }
            changed = false;
        }
        return true;
    }

    /** Fires {@code t} if a scheduled time has come since its last fire; returns its next time. */
    private Instant evaluate(Trigger t, Trigger.TimerSource timer, Instant now) {
        Instant last =
                marks.computeIfAbsent(t.fireKey(), k -> events.lastMark(k).orElse(Instant.EPOCH));
        Instant base = last.isAfter(t.scheduledFrom()) ? last : t.scheduledFrom();
        Optional<Instant> due = timer.schedule().latestAtOrBefore(now);
        if (due.isPresent() && due.get().isAfter(base)) {
            boolean missedWhileDown = due.get().isBefore(startedAt);
            fire(t, timer, due.get(), missedWhileDown && !timer.runMissed());
        }
        return timer.schedule().nextAfter(now).orElse(null);
    }

    private void fire(Trigger t, Trigger.TimerSource timer, Instant at, boolean skip) {
        List<NewEvent> batch =
                skip
                        ? List.of()
                        : List.of(
                                new NewEvent(
                                        new EventFields(
                                                RequestIds.next(),
                                                t.service(),
                                                t.function(),
                                                TriggerKind.TIMER.wire(),
                                                "timer:" + t.id(),
                                                timer.payloadBytes()),
                                        0,
                                        t.qualifier()));
        try {
            CompletableFuture<Boolean> enqueued;
            synchronized (fireLock) {
                if (store.get(t.service(), t.function(), t.id()).isEmpty()) {
                    return; // deleted since this round began
                }
                enqueued =
                        events.enqueue(
                                batch,
                                new FireMark(t.fireKey(), at),
                                EventQueue.Overflow.DROP_EVENTS);
            }
            boolean stored = enqueued.get(30, TimeUnit.SECONDS);
            marks.put(t.fireKey(), at);
            if (skip) {
                log.info(
                        "timer {} of {} missed its fire at {} while Kiln was down; skipped",
                        t.id(),
                        t.functionKey(),
                        at);
            } else if (!stored && !at.isAfter(events.lastMark(t.fireKey()).orElse(Instant.EPOCH))) {
                // Another node of the cluster fired it (docs/adr/0053).
                log.debug("timer {} of {}: fire at {} already made", t.id(), t.functionKey(), at);
            } else if (!stored) {
                log.warn(
                        "timer {} of {}: fire at {} dropped (queue full or already fired)",
                        t.id(),
                        t.functionKey(),
                        at);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        } catch (Exception e) {
            log.error("timer {} of {}: fire at {} failed", t.id(), t.functionKey(), at, e);
        }
    }

    @Override
    public void close() {
        running = false;
        wake();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
