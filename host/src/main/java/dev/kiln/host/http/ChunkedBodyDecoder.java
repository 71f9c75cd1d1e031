package dev.kiln.host.http;

import io.undertow.conduits.ChunkedStreamSourceConduit;
import io.undertow.connector.PooledByteBuffer;
import io.undertow.server.Connectors;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.protocol.http.HttpServerConnection;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import org.xnio.IoUtils;
import org.xnio.channels.StreamSinkChannel;
import org.xnio.conduits.AbstractConduit;
import org.xnio.conduits.AbstractStreamSourceConduit;
import org.xnio.conduits.ConduitReadableByteChannel;
import org.xnio.conduits.ConduitStreamSourceChannel;
import org.xnio.conduits.StreamSourceConduit;

/**
 * Kiln's decoder for a {@code Transfer-Encoding: chunked} request body (RFC 9112 §7.1), put in
 * place of Undertow's before the body is read. Undertow's decoder closes the connection on any
 * framing error before rethrowing it, so the client gets no answer; this one throws {@link
 * MalformedChunkException}, which {@link BodyRead} answers with 400 {@code bad_request} on a
 * connection that then closes.
 *
 * <p>Strict where leniency lets two parsers disagree about where a body ends: a chunk size is 1 to
 * 15 hex digits (no overflow), lines end in CRLF (a bare LF is an error), chunk data is followed by
 * CRLF, an extension starts with {@code ;} and holds no control characters, and a size line or the
 * trailer section has a length cap. Trailers are read and dropped. Bytes after the body (a
 * pipelined request) go back to the connection.
 */
final class ChunkedBodyDecoder extends AbstractStreamSourceConduit<StreamSourceConduit> {
    /** 15 hex digits: 2^60 - 1, past any body cap, and no long overflow while parsing. */
    static final int MAX_SIZE_DIGITS = 15;

    /** Longest size line (size, extensions) Kiln reads. */
    static final int MAX_SIZE_LINE = 4096;

    /** Longest trailer section Kiln reads (and drops). */
    static final int MAX_TRAILERS = 8192;

    /** Thrown for a body whose chunked framing is broken: the connection cannot be reused. */
    static final class MalformedChunkException extends IOException {
        private static final long serialVersionUID = 1L;

        MalformedChunkException(String message) {
            super(message);
        }
    }

    private enum State {
        SIZE,
        SIZE_WHITESPACE,
        EXTENSION,
        SIZE_LF,
        DATA,
        DATA_CR,
        DATA_LF,
        TRAILER_LINE_START,
        TRAILER_LINE,
        TRAILER_LF,
        END_LF,
        DONE
    }

    /** XNIO keeps the conduit below a conduit in a protected field; Undertow's hides it. */
    private static final Field NEXT = nextField();

    private final HttpServerExchange exchange;
    private final HttpServerConnection connection;
    private State state = State.SIZE;
    private long chunkRemaining;
    private long bodyBytes;
    private int digits;
    private int lineBytes;
    private int trailerBytes;
    private boolean terminated;

    private ChunkedBodyDecoder(
            StreamSourceConduit next,
            HttpServerExchange exchange,
            HttpServerConnection connection) {
        super(next);
        this.exchange = exchange;
        this.connection = connection;
    }

    /**
     * Puts Kiln's decoder in place of Undertow's if this request's body is chunked and not read
     * yet; otherwise leaves the connection as it is.
     */
    static void install(HttpServerExchange exchange) {
        if (!(exchange.getConnection() instanceof HttpServerConnection connection)) {
            return;
        }
        ConduitStreamSourceChannel source = connection.getChannel().getSourceChannel();
        if (!(source.getConduit() instanceof ChunkedStreamSourceConduit undertows)) {
            return;
        }
        StreamSourceConduit below;
        try {
            below = (StreamSourceConduit) NEXT.get(undertows);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("Undertow's chunk decoder is not replaceable", e);
        }
        source.setConduit(new ChunkedBodyDecoder(below, exchange, connection));
    }

    private static Field nextField() {
        try {
            Field field = AbstractConduit.class.getDeclaredField("next");
            field.setAccessible(true);
            return field;
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (state == State.DONE) {
            return -1;
        }
        int written = 0;
        while (dst.hasRemaining() && state != State.DONE) {
            PooledByteBuffer pooled = connection.getByteBufferPool().allocate();
            boolean keep = false;
            try {
                ByteBuffer in = pooled.getBuffer();
                in.clear();
                if (state == State.DATA) {
                    // Read no further than this chunk's end: the framing after it is parsed below.
                    in.limit((int) Math.min(in.capacity(), chunkRemaining + 2));
                }
                int n = next.read(in);
                if (n < 0) {
                    throw new MalformedChunkException("the request body ended inside a chunk");
                }
                if (n == 0) {
                    break;
                }
                in.flip();
                written += decode(in, dst);
                if (in.hasRemaining()) {
                    connection.ungetRequestBytes(pooled);
                    keep = true;
                }
            } finally {
                if (!keep) {
                    pooled.close();
                }
            }
        }
        if (state == State.DONE) {
            finished();
            return written == 0 ? -1 : written;
        }
        return written;
    }

    /**
     * Moves bytes from {@code in} into {@code dst}; stops when {@code dst} is full or at the end.
     */
    private int decode(ByteBuffer in, ByteBuffer dst) throws MalformedChunkException {
        int written = 0;
        while (in.hasRemaining() && state != State.DONE) {
            if (state == State.DATA) {
                int n = (int) Math.min(chunkRemaining, Math.min(in.remaining(), dst.remaining()));
                if (n == 0) {
                    return written;
                }
                int limit = in.limit();
                in.limit(in.position() + n);
                dst.put(in);
                in.limit(limit);
                written += n;
                chunkRemaining -= n;
                bodyBytes += n;
                long entityLimit = exchange.getMaxEntitySize();
                if (entityLimit > 0 && bodyBytes > entityLimit) {
                    // Only a drain after a 413 gets here (the body read stops at its cap): past
                    // this bound the rest is not worth reading, and the connection closes.
                    throw new MalformedChunkException("the request body exceeds the entity limit");
                }
                if (chunkRemaining == 0) {
                    state = State.DATA_CR;
                }
                continue;
            }
            step(in.get());
        }
        return written;
    }

    private void step(byte b) throws MalformedChunkException {
        switch (state) {
            case SIZE -> {
                int digit = Character.digit(b, 16);
                if (digit >= 0) {
                    if (++digits > MAX_SIZE_DIGITS) {
                        throw new MalformedChunkException("a chunk size is too large");
                    }
                    chunkRemaining = chunkRemaining << 4 | digit;
                } else if (digits == 0) {
                    throw new MalformedChunkException("a chunk size is not a hex number");
                } else {
                    afterSize(b);
                }
                countLine();
            }
            case SIZE_WHITESPACE -> {
                afterSize(b);
                countLine();
            }
            case EXTENSION -> {
                if (b == '\r') {
                    state = State.SIZE_LF;
                } else if (isControl(b)) {
                    throw new MalformedChunkException("a chunk extension is malformed");
                }
                countLine();
            }
            case SIZE_LF -> {
                expect(b, '\n', "a chunk size line does not end in CRLF");
                digits = 0;
                lineBytes = 0;
                state = chunkRemaining == 0 ? State.TRAILER_LINE_START : State.DATA;
            }
            case DATA_CR -> {
                expect(b, '\r', "chunk data is longer than its size");
                state = State.DATA_LF;
            }
            case DATA_LF -> {
                expect(b, '\n', "chunk data does not end in CRLF");
                state = State.SIZE;
            }
            case TRAILER_LINE_START -> {
                countTrailer();
                if (b == '\r') {
                    state = State.END_LF;
                } else if (isControl(b)) {
                    throw new MalformedChunkException("a trailer field is malformed");
                } else {
                    state = State.TRAILER_LINE;
                }
            }
            case TRAILER_LINE -> {
                countTrailer();
                if (b == '\r') {
                    state = State.TRAILER_LF;
                } else if (isControl(b)) {
                    throw new MalformedChunkException("a trailer field is malformed");
                }
            }
            case TRAILER_LF -> {
                countTrailer();
                expect(b, '\n', "a trailer line does not end in CRLF");
                state = State.TRAILER_LINE_START;
            }
            case END_LF -> {
                expect(b, '\n', "the chunked body does not end in CRLF");
                state = State.DONE;
            }
            case DATA, DONE -> throw new IllegalStateException(state.name());
        }
    }

    /** After the size's digits: optional whitespace, then an extension or the line's end. */
    private void afterSize(byte b) throws MalformedChunkException {
        if (b == ' ' || b == '\t') {
            state = State.SIZE_WHITESPACE;
        } else if (b == ';') {
            state = State.EXTENSION;
        } else if (b == '\r') {
            state = State.SIZE_LF;
        } else {
            throw new MalformedChunkException("a chunk size line is malformed");
        }
    }

    private void countLine() throws MalformedChunkException {
        if (++lineBytes > MAX_SIZE_LINE) {
            throw new MalformedChunkException("a chunk size line is too long");
        }
    }

    private void countTrailer() throws MalformedChunkException {
        if (++trailerBytes > MAX_TRAILERS) {
            throw new MalformedChunkException("the trailer section is too long");
        }
    }

    private static void expect(byte b, char wanted, String message) throws MalformedChunkException {
        if (b != wanted) {
            throw new MalformedChunkException(message);
        }
    }

    /** Control characters other than horizontal tab (which RFC 9110 allows as whitespace). */
    private static boolean isControl(byte b) {
        return (b >= 0 && b < 0x20 && b != '\t') || b == 0x7f;
    }

    /** The body's end: the request is complete and the connection may carry the next one. */
    private void finished() {
        if (!terminated) {
            terminated = true;
            Connectors.terminateRequest(exchange);
        }
    }

    @Override
    public long read(ByteBuffer[] dsts, int offs, int len) throws IOException {
        for (int i = offs; i < offs + len; i++) {
            if (dsts[i].hasRemaining()) {
                return read(dsts[i]);
            }
        }
        return 0;
    }

    @Override
    public long transferTo(long position, long count, FileChannel target) throws IOException {
        return target.transferFrom(new ConduitReadableByteChannel(this), position, count);
    }

    @Override
    public long transferTo(long count, ByteBuffer throughBuffer, StreamSinkChannel target)
            throws IOException {
        return IoUtils.transfer(new ConduitReadableByteChannel(this), count, throughBuffer, target);
    }

    @Override
    public void terminateReads() throws IOException {
        if (state == State.DONE) {
            return;
        }
        // The rest of the body stays unread: the connection cannot carry another request.
        exchange.setPersistent(false);
        next.terminateReads();
        finished();
    }

    @Override
    public boolean isReadShutdown() {
        return state == State.DONE || next.isReadShutdown();
    }
}
