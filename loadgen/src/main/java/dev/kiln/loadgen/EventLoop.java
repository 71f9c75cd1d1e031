package dev.kiln.loadgen;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * One thread's share of the connections, driven by one selector, the way wrk drives its event
 * loops. Not thread-safe: each loop runs on its own thread and its counters are read after it ends
 * (except {@link #progress}).
 */
final class EventLoop implements Runnable {
    static final long HIGHEST_LATENCY_NS = TimeUnit.HOURS.toNanos(1);
    private static final long RETRY_NS = TimeUnit.MILLISECONDS.toNanos(100);

    /**
     * Selector timeouts are whole milliseconds; shorter waits park in slices this long and poll, so
     * a due request leaves at most about this late and a response is read about this soon.
     */
    private static final long SHORT_WAIT_SLICE_NS = TimeUnit.MICROSECONDS.toNanos(50);

    private final InetSocketAddress address;
    private final Selector selector;
    private final List<Connection> connections = new ArrayList<>();
    private final ByteBuffer readBuffer = ByteBuffer.allocate(64 * 1024);
    private final boolean bodyless;

    /** Open loop: nanoseconds between two requests of one connection; 0 in closed loop. */
    private final long interval;

    private final int firstConnectionIndex;
    private final int totalConnections;
    private Timeline timeline;
    final Histogram latency = new Histogram(HIGHEST_LATENCY_NS, 3);
    final Histogram sendLag = new Histogram(HIGHEST_LATENCY_NS, 3);
    final long[] statuses = new long[600];
    long responsesInWindow;
    long ioErrors;
    long unfinished;
    IOException fatal;

    /** Responses so far (warm-up included), for progress reports from another thread. */
    volatile long progress;

    /**
     * The same recordings as {@link #latency} and {@link #statuses}, plus connection errors, for
     * another thread to take in intervals while the load runs ({@link LoadRun#sample}).
     */
    final Recorder intervalLatency = new Recorder(HIGHEST_LATENCY_NS, 3);

    final AtomicLongArray intervalStatuses = new AtomicLongArray(statuses.length);
    final AtomicLong intervalIoErrors = new AtomicLong();

    /** Set by another thread to end the run early: the loop returns at its next wake-up. */
    volatile boolean stopped;

    /** The run's fixed instants, in nanoTime. */
    record Timeline(long start, long measureFrom, long sendUntil, long drainUntil) {}

    /** Opens this loop's connections; {@link #begin} must follow before it runs. */
    EventLoop(LoadSpec spec, byte[] request, int connectionCount, int firstConnectionIndex)
            throws IOException {
        this.address = spec.address();
        this.selector = Selector.open();
        this.firstConnectionIndex = firstConnectionIndex;
        this.totalConnections = spec.connections();
        this.bodyless = spec.method().equals("HEAD");
        ByteBuffer shared = ByteBuffer.allocateDirect(request.length).put(request).flip();
        if (spec.pacing() instanceof Pacing.Open open) {
            this.interval = (long) (spec.connections() * 1e9 / open.requestsPerSecond());
        } else {
            this.interval = 0;
        }
        try {
            for (int i = 0; i < connectionCount; i++) {
                Connection c = new Connection(shared.duplicate());
                connections.add(c);
                c.connect(address, selector);
            }
        } catch (IOException e) {
            close();
            throw e;
        }
    }

    /** Fixes the run's instants; open loop schedules are staggered evenly over one interval. */
    void begin(Timeline timeline) {
        this.timeline = timeline;
        for (int i = 0; i < connections.size(); i++) {
            connections.get(i).nextDue =
                    timeline.start() + (interval * (firstConnectionIndex + i)) / totalConnections;
        }
    }

    @Override
    public void run() {
        try {
            loop();
        } catch (IOException e) {
            fatal = e;
        } finally {
            for (Connection c : connections) {
                if (c.inFlight) {
                    unfinished++;
                }
            }
            close();
        }
    }

    private void loop() throws IOException {
        long now = System.nanoTime();
        while (now < timeline.start()) {
            LockSupport.parkNanos(timeline.start() - now);
            now = System.nanoTime();
        }
        if (interval == 0) {
            for (Connection c : connections) {
                send(c, now);
            }
        }
        while (!stopped) {
            now = System.nanoTime();
            long wakeAt;
            if (now < timeline.sendUntil()) {
                wakeAt = interval == 0 ? timeline.sendUntil() : sendDue(now, now);
                wakeAt = Math.min(wakeAt, reopenFailed(now));
            } else {
                // An open loop still owes the requests that fell due in the window while their
                // connection waited for a slow response: sent late, timed from when they were
                // due, as wrk2 does. Dropping them would hide exactly the slow stretch.
                long owed = interval == 0 ? Long.MAX_VALUE : sendDue(now, timeline.sendUntil() - 1);
                if ((inFlight() == 0 && owed >= timeline.sendUntil())
                        || now >= timeline.drainUntil()) {
                    return;
                }
                wakeAt = timeline.drainUntil();
            }
            waitForEvents(wakeAt - now);
        }
    }

    /**
     * Sends every open-loop request due by {@code now} and by {@code dueBy}; returns when the next
     * one will be.
     */
    private long sendDue(long now, long dueBy) throws IOException {
        long next = Long.MAX_VALUE;
        for (Connection c : connections) {
            if (c.open() && !c.inFlight) {
                if (c.nextDue <= now && c.nextDue <= dueBy) {
                    // The client's own lateness: since the request was due and its connection
                    // free, not time spent waiting for the previous response (that is the
                    // server's, and is in the latency).
                    long ready = Math.max(c.nextDue, c.idleSince);
                    sendLag.recordValue(Math.min(now - ready, HIGHEST_LATENCY_NS));
                    send(c, c.nextDue);
                } else {
                    next = Math.min(next, c.nextDue);
                }
            }
        }
        return next;
    }

    /** Reopens connections whose retry time has come; returns the next retry time. */
    private long reopenFailed(long now) {
        long next = Long.MAX_VALUE;
        for (Connection c : connections) {
            if (c.open()) {
                continue;
            }
            if (c.retryAt <= now) {
                try {
                    c.connect(address, selector);
                    if (interval == 0) {
                        send(c, now);
                    }
                } catch (IOException e) {
                    ioError();
                    c.retryAt = now + RETRY_NS;
                }
            }
            if (!c.open()) {
                next = Math.min(next, c.retryAt);
            }
        }
        return next;
    }

    private void waitForEvents(long waitNs) throws IOException {
        int ready;
        if (waitNs >= TimeUnit.MILLISECONDS.toNanos(2)) {
            // Wake a millisecond early: the rest is covered by short waits.
            long millis = Math.min(TimeUnit.NANOSECONDS.toMillis(waitNs) - 1, 100);
            ready = selector.select(this::onReady, millis);
        } else {
            ready = selector.selectNow(this::onReady);
            if (ready == 0 && waitNs > 0) {
                LockSupport.parkNanos(Math.min(waitNs, SHORT_WAIT_SLICE_NS));
            }
        }
    }

    private void onReady(SelectionKey key) {
        Connection c = (Connection) key.attachment();
        try {
            if (key.isWritable()) {
                c.writeMore();
            }
            if (key.isReadable()) {
                readResponses(c);
            }
        } catch (IOException | ResponseParser.ProtocolException e) {
            fail(c, System.nanoTime());
        }
    }

    private void readResponses(Connection c) throws IOException, ResponseParser.ProtocolException {
        while (c.open()) {
            int n = c.read(readBuffer);
            if (n == 0) {
                return;
            }
            long now = System.nanoTime();
            if (n < 0) {
                c.parser.closed();
                if (c.inFlight && c.parser.done()) {
                    complete(c, now);
                }
                if (c.inFlight) {
                    fail(c, now);
                } else {
                    reopenNow(c, now);
                }
                return;
            }
            if (!c.inFlight) {
                throw new ResponseParser.ProtocolException("bytes arrived with no request out");
            }
            int end = c.parser.feed(readBuffer.array(), 0, n);
            if (c.parser.done()) {
                if (end != n) {
                    throw new ResponseParser.ProtocolException("bytes after the response");
                }
                complete(c, now);
                if (n < readBuffer.capacity()) {
                    return; // the socket is most likely empty: skip a read that returns 0
                }
            }
        }
    }

    // Only this loop's thread writes progress; other threads only read it.
    @SuppressWarnings("NonAtomicVolatileUpdate")
    private void complete(Connection c, long now) throws IOException {
        c.inFlight = false;
        progress = progress + 1;
        if (c.startedAt >= timeline.measureFrom() && c.startedAt < timeline.sendUntil()) {
            long took = Math.min(now - c.startedAt, HIGHEST_LATENCY_NS);
            latency.recordValue(took);
            intervalLatency.recordValue(took);
            int status = Math.min(c.parser.status(), statuses.length - 1);
            statuses[status]++;
            intervalStatuses.incrementAndGet(status);
        }
        if (now >= timeline.measureFrom() && now < timeline.sendUntil()) {
            responsesInWindow++;
        }
        if (c.parser.connectionClose()) {
            reopenNow(c, now);
            return;
        }
        if (interval != 0) {
            c.nextDue += interval;
            c.idleSince = now;
            if (c.nextDue <= now && now < timeline.sendUntil()) {
                sendLag.recordValue(0); // sent the moment its connection came free
                send(c, c.nextDue);
            }
        } else if (now < timeline.sendUntil()) {
            send(c, now);
        }
    }

    private void send(Connection c, long startedAt) throws IOException {
        c.send(startedAt, bodyless);
    }

    /** The server closed a connection between responses (allowed): reopen it at once. */
    private void reopenNow(Connection c, long now) {
        c.close();
        c.retryAt = now;
    }

    private void fail(Connection c, long now) {
        ioError();
        c.close();
        c.retryAt = now + RETRY_NS;
    }

    private void ioError() {
        ioErrors++;
        intervalIoErrors.incrementAndGet();
    }

    private int inFlight() {
        int n = 0;
        for (Connection c : connections) {
            if (c.inFlight) {
                n++;
            }
        }
        return n;
    }

    void close() {
        for (Connection c : connections) {
            c.close();
        }
        try {
            selector.close();
        } catch (IOException e) {
            // Nothing else holds it.
        }
    }
}
