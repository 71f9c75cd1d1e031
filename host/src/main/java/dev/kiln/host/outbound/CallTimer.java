package dev.kiln.host.outbound;

import java.io.IOException;
import java.net.Socket;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Closes the socket of one outbound call when its deadline passes, so that nothing — a connect, a
 * TLS handshake, a write to a server that does not read, a server trickling one byte a second —
 * outlasts it. Socket timeouts bound each read; this bounds the whole call.
 */
final class CallTimer implements AutoCloseable {
    private final ScheduledFuture<?> timer;
    private Socket socket;
    private boolean fired;

    CallTimer(ScheduledExecutorService scheduler, long deadlineNanos) {
        long delay = Math.max(0, deadlineNanos - System.nanoTime());
        this.timer = scheduler.schedule(this::fire, delay, TimeUnit.NANOSECONDS);
    }

    /** The socket to close at the deadline (closed at once if the deadline has passed). */
    synchronized void watch(Socket s) {
        socket = s;
        if (fired) {
            closeQuietly(s);
        }
    }

    /** Whether the deadline closed the socket. */
    synchronized boolean fired() {
        return fired;
    }

    private synchronized void fire() {
        fired = true;
        if (socket != null) {
            closeQuietly(socket);
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // Closing is all we wanted.
        }
    }

    @Override
    public void close() {
        timer.cancel(false);
    }
}
