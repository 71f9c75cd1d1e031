package dev.kiln.host.http;

import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import io.undertow.connector.PooledByteBuffer;
import io.undertow.server.Connectors;
import io.undertow.server.HttpServerExchange;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.xnio.ChannelListener;
import org.xnio.XnioExecutor;
import org.xnio.channels.StreamSourceChannel;

/**
 * One request body being read. It grows its buffer with the bytes that actually arrived (doubling,
 * never past the declared length or the cap), reserving each growth from the budget first; it reads
 * on the IO thread through Undertow's pooled read buffers, and a timer on the same thread cuts it
 * off when nothing arrived for the stall timeout. The bytes stay reserved until the exchange ends
 * (answered, failed or its connection closed), because the invocation holds them until then.
 */
final class BodyRead implements ChannelListener<StreamSourceChannel> {
    private final HttpServerExchange exchange;
    private final Bodies.Intake intake;
    private final long maxBytes;

    /** The declared Content-Length, or -1 for a chunked body. */
    private final long declared;

    private final Bodies.BodyConsumer consumer;
    private final ReservedBytes reserved;
    private StreamSourceChannel channel;
    private byte[] buffer = new byte[0];
    private int size;
    private boolean done;
    private long lastProgressNanos;
    private XnioExecutor.Key timer;

    BodyRead(
            HttpServerExchange exchange,
            Bodies.Intake intake,
            long maxBytes,
            long declared,
            Bodies.BodyConsumer consumer) {
        this.exchange = exchange;
        this.intake = intake;
        this.maxBytes = maxBytes;
        this.declared = declared;
        this.consumer = consumer;
        this.reserved = ReservedBytes.forExchange(exchange, intake.budget());
    }

    /** Reads what is there now; waits (without a thread) for the rest. Runs inside the handler. */
    void start() {
        if (exchange.isRequestComplete()) {
            done = true;
            deliver(new byte[0], true);
            return;
        }
        // Before the request channel exists: Kiln's chunk decoder answers a framing error.
        ChunkedBodyDecoder.install(exchange);
        channel = exchange.getRequestChannel();
        if (channel == null) {
            throw new IllegalStateException("the request body was already read");
        }
        lastProgressNanos = System.nanoTime();
        channel.getReadSetter().set(this);
        if (readAvailable(true)) {
            channel.resumeReads();
            armTimer(intake.stallTimeoutMs());
        }
    }

    @Override
    public void handleEvent(StreamSourceChannel ignored) {
        if (!done) {
            readAvailable(false);
        }
    }

    /**
     * Reads until the channel has nothing more right now; finishes or fails the read on the way.
     *
     * @return whether the body is still incomplete and the caller should wait for more
     */
    private boolean readAvailable(boolean inHandler) {
        try (PooledByteBuffer pooled = exchange.getConnection().getByteBufferPool().allocate()) {
            ByteBuffer chunk = pooled.getBuffer();
            while (true) {
                chunk.clear();
                int n = channel.read(chunk);
                if (n == 0) {
                    return true;
                }
                if (n < 0) {
                    finish(inHandler);
                    return false;
                }
                lastProgressNanos = System.nanoTime();
                if ((long) size + n > maxBytes) {
                    // The framing is intact, so the connection can stay: Undertow drains the rest
                    // after the answer (at most the exchange's entity limit, Bodies.ENTITY_SLACK
                    // over the cap). Closing with the body's tail unread would reset the
                    // connection,
                    // and a client still sending would lose the 413 to a broken pipe.
                    fail(inHandler, Bodies.tooLarge(maxBytes), true);
                    return false;
                }
                if (!ensureCapacity(size + n)) {
                    fail(
                            inHandler,
                            new KilnException(
                                    ErrorCode.SERVER_BUSY,
                                    "the host is holding as many request bytes as it may;"
                                            + " retry later"));
                    return false;
                }
                chunk.flip();
                chunk.get(buffer, size, n);
                size += n;
            }
        } catch (ChunkedBodyDecoder.MalformedChunkException e) {
            fail(
                    inHandler,
                    new KilnException(
                            ErrorCode.BAD_REQUEST,
                            "the chunked request body is malformed: " + e.getMessage()));
            return false;
        } catch (IOException e) {
            fail(
                    inHandler,
                    new KilnException(ErrorCode.BAD_REQUEST, "the request body could not be read"));
            return false;
        }
    }

    /** Grows the buffer to hold {@code needed} bytes, reserving the growth first. */
    private boolean ensureCapacity(int needed) {
        if (needed <= buffer.length) {
            return true;
        }
        long ceiling = declared >= 0 ? declared : maxBytes;
        int capacity = (int) Math.min(ceiling, Math.max(needed, 2L * buffer.length));
        if (!reserved.tryAdd(capacity - buffer.length)) {
            return false;
        }
        buffer = Arrays.copyOf(buffer, capacity);
        return true;
    }

    private void finish(boolean inHandler) {
        done = true;
        stopWaiting();
        byte[] body = buffer;
        if (size < buffer.length) {
            // A chunked body (or one the doubling overshot): keep exactly what arrived.
            body = Arrays.copyOf(buffer, size);
            reserved.giveBack(buffer.length - size);
        }
        buffer = null;
        deliver(body, inHandler);
    }

    private void fail(boolean inHandler, KilnException error) {
        fail(inHandler, error, false);
    }

    /**
     * @param drainable whether the rest of the body can be read past and the connection kept;
     *     otherwise (a stall, broken framing, no room) the connection closes after the answer
     */
    private void fail(boolean inHandler, KilnException error, boolean drainable) {
        done = true;
        stopWaiting();
        buffer = null;
        reserved.releaseAll();
        if (!drainable) {
            exchange.setPersistent(false);
        }
        run(
                inHandler,
                () ->
                        ErrorBoundary.run(
                                exchange,
                                () -> {
                                    throw error;
                                }));
    }

    private void deliver(byte[] body, boolean inHandler) {
        run(inHandler, () -> ErrorBoundary.run(exchange, () -> consumer.accept(exchange, body)));
    }

    /**
     * Runs a continuation: directly inside the handler, or through Undertow's root-handler entry
     * from a read event or timer, so a dispatch or response it starts is handled as in a handler.
     */
    private void run(boolean inHandler, Runnable continuation) {
        if (inHandler) {
            continuation.run();
        } else {
            Connectors.executeRootHandler(ex -> continuation.run(), exchange);
        }
    }

    private void armTimer(long delayMs) {
        timer =
                exchange.getIoThread()
                        .executeAfter(
                                this::checkStall, Math.max(1, delayMs), TimeUnit.MILLISECONDS);
    }

    /** On the IO thread: re-arms for the time left, or cuts the body off with a 408. */
    private void checkStall() {
        timer = null;
        if (done) {
            return;
        }
        long idleMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastProgressNanos);
        long leftMs = intake.stallTimeoutMs() - idleMs;
        if (leftMs > 0) {
            armTimer(leftMs);
            return;
        }
        intake.stalls().increment();
        fail(
                false,
                new KilnException(
                        ErrorCode.REQUEST_TIMEOUT,
                        "no request body bytes arrived for " + intake.stallTimeoutMs() + " ms"));
    }

    private void stopWaiting() {
        if (timer != null) {
            timer.remove();
            timer = null;
        }
        if (channel != null) {
            channel.getReadSetter().set(null);
            channel.suspendReads();
        }
    }
}
