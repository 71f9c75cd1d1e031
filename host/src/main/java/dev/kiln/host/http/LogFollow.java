package dev.kiln.host.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.kiln.abi.LogLevel;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.observability.InvocationStore;
import dev.kiln.host.observability.LogEntry;
import dev.kiln.host.observability.LogFeed;
import dev.kiln.host.observability.LogFilter;
import dev.kiln.host.registry.FunctionInfo;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.handlers.sse.ServerSentEventConnection;
import io.undertow.server.handlers.sse.ServerSentEventHandler;
import io.undertow.util.HttpString;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import org.xnio.IoUtils;

/**
 * {@code GET …/logs?follow=true}: a function's guest log lines as server-sent events
 * (docs/adr/0043). Each line is an event {@code log} whose data is the line as {@code GET …/logs}
 * shows it and whose id is its time in epoch milliseconds (a reconnecting {@code EventSource} sends
 * it back as {@code Last-Event-ID}, read as {@code since}). Idle streams get a comment line every
 * {@code logHeartbeat}, which is also how a client that went away is noticed.
 *
 * <p>No thread is held per follower: Undertow's {@link ServerSentEventConnection} writes from the
 * IO thread, and the record writer hands each follower its lines right after they are stored. A
 * client that falls {@value #MAX_PENDING} lines behind is cut off rather than buffered without
 * bound.
 */
final class LogFollow {
    /** Lines queued for one follower at most; a slower client is disconnected. */
    static final int MAX_PENDING = 1000;

    private static final HttpString LAST_EVENT_ID = new HttpString("Last-Event-ID");
    private static final int MAX_REQUEST_ID_LENGTH = 128;

    private final InvocationStore records;
    private final long heartbeatMs;

    LogFollow(InvocationStore records) {
        this.records = records;
        this.heartbeatMs = records.limits().logHeartbeat().toMillis();
    }

    /** Whether the request asks to follow ({@code follow=true}); 400 for another value. */
    static boolean wanted(HttpServerExchange ex) {
        String v = QueryParams.first(ex, "follow");
        if (v == null || v.equals("false")) {
            return false;
        }
        if (v.equals("true")) {
            return true;
        }
        throw new KilnException(ErrorCode.BAD_REQUEST, "follow must be true or false");
    }

    /** The filter of {@code level}, {@code requestId} and {@code since} (or Last-Event-ID). */
    static LogFilter filter(HttpServerExchange ex) {
        LogLevel level = null;
        String text = QueryParams.first(ex, "level");
        if (text != null) {
            try {
                level = LogLevel.valueOf(text.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new KilnException(
                        ErrorCode.BAD_REQUEST, "level must be one of debug, info, warn, error");
            }
        }
        String requestId = QueryParams.first(ex, "requestId");
        if (requestId != null
                && (requestId.isEmpty() || requestId.length() > MAX_REQUEST_ID_LENGTH)) {
            throw new KilnException(
                    ErrorCode.BAD_REQUEST,
                    "requestId must be 1 to " + MAX_REQUEST_ID_LENGTH + " characters");
        }
        Instant since = QueryParams.instant(ex, "since");
        String lastId = ex.getRequestHeaders().getFirst(LAST_EVENT_ID);
        if (since == null
                && lastId != null
                && !lastId.isEmpty()
                && lastId.length() < 19
                && lastId.chars().allMatch(Character::isDigit)) {
            since = Instant.ofEpochMilli(Long.parseLong(lastId));
        }
        return new LogFilter(level, requestId, since);
    }

    /**
     * Subscribes and starts the stream (on a worker thread: a {@code since} backlog reads storage).
     *
     * @throws KilnException {@code server_busy} at {@code maxLogFollowers}
     */
    void start(HttpServerExchange ex, FunctionInfo f, LogFilter filter, int backlogLimit)
            throws Exception {
        Outlet stream = new Outlet(ex);
        InvocationStore.Follow follow =
                records.follow(f.service(), f.name(), filter, backlogLimit, stream::lines);
        LogFeed.Subscription subscription = follow.subscription();
        // However the stream ends (client gone, cut off, host closing), its place is freed.
        ex.addExchangeCompleteListener(
                (done, next) -> {
                    subscription.close();
                    next.proceed();
                });
        stream.subscription = subscription;
        try {
            stream.lines(follow.backlog());
            new ServerSentEventHandler((connection, lastEventId) -> stream.connected(connection))
                    .handleRequest(ex);
        } catch (Exception | Error e) {
            subscription.close();
            throw e;
        }
    }

    /** One follower: lines wait here until the connection is up, then go straight to it. */
    private final class Outlet {
        private final HttpServerExchange exchange;
        private final AtomicInteger pending = new AtomicInteger();
        private final List<LogEntry> early = new ArrayList<>(); // guarded by this
        private ServerSentEventConnection connection; // guarded by this
        private boolean cutOff; // guarded by this
        private LogFeed.Subscription subscription;

        Outlet(HttpServerExchange exchange) {
            this.exchange = exchange;
        }

        synchronized void lines(List<LogEntry> lines) {
            if (cutOff) {
                return;
            }
            if (connection == null) {
                early.addAll(lines);
                if (early.size() > MAX_PENDING) {
                    cutOff();
                }
                return;
            }
            for (LogEntry e : lines) {
                send(e);
            }
        }

        synchronized void connected(ServerSentEventConnection c) {
            connection = c;
            LogFeed.Subscription s = subscription;
            c.addCloseTask(closed -> s.close());
            c.setKeepAliveTime(heartbeatMs);
            if (cutOff) {
                IoUtils.safeClose(c);
                return;
            }
            for (LogEntry e : early) {
                send(e);
            }
            early.clear();
        }

        private void send(LogEntry e) {
            if (cutOff) {
                return;
            }
            if (pending.incrementAndGet() > MAX_PENDING) {
                cutOff();
                return;
            }
            String data;
            try {
                data = Responses.JSON.writeValueAsString(Views.LogLine.of(e.line(), e.requestId()));
            } catch (JsonProcessingException ex) {
                throw new IllegalStateException(ex);
            }
            connection.send(
                    data,
                    "log",
                    Long.toString(e.line().epochMillis()),
                    new ServerSentEventConnection.EventCallback() {
                        @Override
                        public void done(
                                ServerSentEventConnection c, String d, String ev, String id) {
                            pending.decrementAndGet();
                        }

                        @Override
                        public void failed(
                                ServerSentEventConnection c,
                                String d,
                                String ev,
                                String id,
                                IOException failure) {
                            pending.decrementAndGet();
                            IoUtils.safeClose(c);
                        }
                    });
        }

        /** A client too slow to read its lines is disconnected (on its IO thread). */
        private void cutOff() {
            cutOff = true;
            early.clear();
            ServerSentEventConnection c = connection;
            exchange.getIoThread()
                    .execute(
                            () -> {
                                if (c != null) {
                                    IoUtils.safeClose(c);
                                } else {
                                    IoUtils.safeClose(exchange.getConnection());
                                }
                            });
        }
    }
}
