package dev.kiln.loadgen;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;

/** One keep-alive connection and the request it has in flight (at most one: no pipelining). */
final class Connection {
    final ResponseParser parser = new ResponseParser();
    private final ByteBuffer request;
    private SocketChannel channel;
    private SelectionKey key;

    boolean inFlight;

    /** When the request in flight was due (open loop) or sent (closed loop), in nanoTime. */
    long startedAt;

    /** Open loop: when this connection's next request is due. */
    long nextDue;

    /** When the last response arrived (nanoTime): from then on the connection is free. */
    long idleSince;

    /** A connection that failed is reopened no earlier than this (nanoTime). */
    long retryAt;

    Connection(ByteBuffer request) {
        this.request = request;
    }

    boolean open() {
        return channel != null;
    }

    /** Connects (loopback: blocking is quick) and registers for reads on {@code selector}. */
    void connect(InetSocketAddress address, Selector selector) throws IOException {
        SocketChannel ch = SocketChannel.open();
        try {
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.connect(address);
            ch.configureBlocking(false);
            key = ch.register(selector, SelectionKey.OP_READ, this);
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        channel = ch;
        inFlight = false;
    }

    /**
     * Writes the request; what the socket does not take now is written when it becomes writable.
     */
    void send(long startedAt, boolean bodyless) throws IOException {
        this.startedAt = startedAt;
        inFlight = true;
        parser.reset(bodyless);
        request.rewind();
        channel.write(request);
        if (request.hasRemaining()) {
            key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
        }
    }

    /** Continues a partial write. */
    void writeMore() throws IOException {
        channel.write(request);
        if (!request.hasRemaining()) {
            key.interestOps(SelectionKey.OP_READ);
        }
    }

    /** Reads what is available into {@code into} (cleared first); -1 at end of stream. */
    int read(ByteBuffer into) throws IOException {
        into.clear();
        return channel.read(into);
    }

    void close() {
        inFlight = false;
        if (channel == null) {
            return;
        }
        key.cancel();
        try {
            channel.close();
        } catch (IOException e) {
            // Closing a socket we are abandoning: nothing left to do.
        }
        channel = null;
        key = null;
    }
}
