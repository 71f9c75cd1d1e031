package dev.kiln.host.observability;

import dev.kiln.abi.GuestLogLine;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Live guest log lines for followers ({@code logs?follow=true}, docs/adr/0043). The record writer
 * publishes each batch's lines right after the batch committed; a follower gets the lines of its
 * function that pass its {@link LogFilter}. Followers are counted host-wide against a limit.
 */
public final class LogFeed {
    /** Receives lines on the record writer thread: it must hand them on, never block. */
    @FunctionalInterface
    public interface Follower {
        void lines(List<LogEntry> lines);
    }

    private record FunctionKey(String service, String function) {}

    private final int maxFollowers;
    private final AtomicInteger count = new AtomicInteger();
    private final Map<FunctionKey, List<Subscription>> byFunction = new ConcurrentHashMap<>();

    LogFeed(int maxFollowers) {
        this.maxFollowers = maxFollowers;
    }

    /**
     * Adds a follower of one function's lines.
     *
     * @throws KilnException {@code server_busy} when the host already serves {@code
     *     maxLogFollowers}
     */
    Subscription subscribe(String service, String function, LogFilter filter, Follower follower) {
        if (count.incrementAndGet() > maxFollowers) {
            count.decrementAndGet();
            throw new KilnException(
                    ErrorCode.SERVER_BUSY,
                    "the host already streams logs to its limit of "
                            + maxFollowers
                            + " followers (maxLogFollowers); retry later or read logs without"
                            + " follow");
        }
        var key = new FunctionKey(service, function);
        var s = new Subscription(key, filter, follower);
        // compute, not computeIfAbsent + add: a closing follower may be dropping the list.
        byFunction.compute(
                key,
                (k, list) -> {
                    List<Subscription> l = list == null ? new CopyOnWriteArrayList<>() : list;
                    l.add(s);
                    return l;
                });
        return s;
    }

    /** Followers connected now. */
    public int followers() {
        return count.get();
    }

    /** Hands the lines of written records to their functions' followers. */
    void publish(List<InvocationRecord> records) {
        if (count.get() == 0) {
            return;
        }
        for (InvocationRecord r : records) {
            if (r.logs().isEmpty()) {
                continue;
            }
            List<Subscription> subs = byFunction.get(new FunctionKey(r.service(), r.function()));
            if (subs == null) {
                continue;
            }
            for (Subscription s : subs) {
                List<LogEntry> lines = new ArrayList<>();
                for (GuestLogLine l : r.logs()) {
                    var e = new LogEntry(r.requestId(), l);
                    if (s.filter.matches(e)) {
                        lines.add(e);
                    }
                }
                if (!lines.isEmpty()) {
                    s.follower.lines(lines);
                }
            }
        }
    }

    /** One follower; closing it (more than once is fine) frees its place. */
    public final class Subscription implements AutoCloseable {
        private final FunctionKey key;
        private final LogFilter filter;
        private final Follower follower;
        private final AtomicBoolean closed = new AtomicBoolean();

        private Subscription(FunctionKey key, LogFilter filter, Follower follower) {
            this.key = key;
            this.filter = filter;
            this.follower = follower;
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                byFunction.computeIfPresent(
                        key,
                        (k, list) -> {
                            list.remove(this);
                            return list.isEmpty() ? null : list;
                        });
                count.decrementAndGet();
            }
        }
    }
}
