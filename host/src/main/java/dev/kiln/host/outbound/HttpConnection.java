package dev.kiln.host.outbound;

import dev.kiln.abi.HostDeadlineException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;

/**
 * One HTTP/1.1 connection to an outbound server: the TCP socket (and the TLS socket over it), an
 * input buffer, and reads bounded by a deadline. Closing closes the TCP socket itself, which also
 * ends any read or write blocked on it from another thread (the {@link CallTimer}).
 */
final class HttpConnection implements AutoCloseable {
    private final PoolKey key;
    private final Socket tcp;
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final byte[] buf = new byte[16 * 1024];
    private int pos;
    private int lim;
    private long bytesRead;
    private long idleSinceNanos;

    HttpConnection(PoolKey key, Socket tcp, Socket socket) throws IOException {
        this.key = key;
        this.tcp = tcp;
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = new BufferedOutputStream(socket.getOutputStream(), 16 * 1024);
    }

    PoolKey key() {
        return key;
    }

    Socket tcp() {
        return tcp;
    }

    OutputStream out() {
        return out;
    }

    /** Bytes read from the server over this connection's whole life. */
    long bytesRead() {
        return bytesRead;
    }

    long idleSinceNanos() {
        return idleSinceNanos;
    }

    void markIdle(long nowNanos) {
        idleSinceNanos = nowNanos;
    }

    /**
     * One byte, or -1 at the end of the stream.
     *
     * @throws SocketTimeoutException when the deadline passes first
     */
    int read(long deadlineNanos) throws IOException {
        if (pos == lim && !fill(deadlineNanos)) {
            return -1;
        }
        return buf[pos++] & 0xFF;
    }

    /**
     * Up to {@code len} bytes into {@code dst}; -1 at the end of the stream.
     *
     * @throws SocketTimeoutException when the deadline passes first
     */
    int read(byte[] dst, int off, int len, long deadlineNanos) throws IOException {
        if (pos == lim && !fill(deadlineNanos)) {
            return -1;
        }
        int n = Math.min(len, lim - pos);
        System.arraycopy(buf, pos, dst, off, n);
        pos += n;
        return n;
    }

    /** Whether unread bytes are buffered (a server that answered more than it was asked). */
    boolean hasBuffered() {
        return pos < lim;
    }

    private boolean fill(long deadlineNanos) throws IOException {
        // Each read waits at most until the deadline; the CallTimer closes the socket at the
        // deadline as well, for writes and for a server that trickles bytes (slowloris).
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
            throw new SocketTimeoutException("deadline");
        }
        if (Thread.currentThread().isInterrupted()) {
            throw new HostDeadlineException();
        }
        socket.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, left / 1_000_000)));
        int n = in.read(buf, 0, buf.length);
        if (n < 0) {
            return false;
        }
        pos = 0;
        lim = n;
        bytesRead += n;
        return true;
    }

    /** Closes the TCP socket (a TLS close_notify is not sent: it could block). */
    @Override
    public void close() {
        try {
            tcp.close();
        } catch (IOException e) {
            // Nothing to do: the socket is gone either way.
        }
    }
}
