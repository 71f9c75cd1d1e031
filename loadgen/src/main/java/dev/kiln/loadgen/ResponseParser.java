package dev.kiln.loadgen;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Finds where one HTTP/1.1 response ends in a byte stream, reading only what that takes: the status
 * code, {@code Content-Length}, {@code Transfer-Encoding: chunked} and {@code Connection: close}.
 * Bodies are skipped, never copied. One parser per connection, reused for every response.
 */
final class ResponseParser {
    /** A response head larger than this is refused: no test target sends one. */
    static final int MAX_HEAD_BYTES = 64 * 1024;

    private enum State {
        HEAD,
        BODY_LENGTH,
        BODY_UNTIL_CLOSE,
        CHUNK_SIZE,
        CHUNK_SIZE_LF,
        CHUNK_DATA,
        CHUNK_DATA_CR,
        CHUNK_DATA_LF,
        TRAILER,
        DONE
    }

    private State state = State.HEAD;
    private byte[] head = new byte[512];
    private int headLength;
    private int endMatch; // how much of CRLFCRLF the head has matched so far
    private long remaining;
    private long chunkSize;
    private boolean chunkSizeSeen;
    private boolean chunkExtension;
    private int trailerLineLength;
    private int status;
    private boolean close;
    private boolean noBody;

    /** Prepares for the next response; {@code bodyless} for the answer to a HEAD request. */
    void reset(boolean bodyless) {
        state = State.HEAD;
        headLength = 0;
        endMatch = 0;
        status = 0;
        close = false;
        noBody = bodyless;
    }

    int status() {
        return status;
    }

    /** Whether the server will close the connection after this response. */
    boolean connectionClose() {
        return close;
    }

    boolean done() {
        return state == State.DONE;
    }

    /** Whether the response ends when the server closes the connection (no length given). */
    boolean endsAtClose() {
        return state == State.BODY_UNTIL_CLOSE;
    }

    /** Marks a close-delimited body complete (call on end of stream). */
    void closed() {
        if (state == State.BODY_UNTIL_CLOSE) {
            state = State.DONE;
        }
    }

    /**
     * Consumes bytes {@code [from, to)} of {@code buf}.
     *
     * @return the index just past the response's last byte once it is complete, else {@code to}
     * @throws ProtocolException when the bytes are not an HTTP/1.x response
     */
    int feed(byte[] buf, int from, int to) throws ProtocolException {
        int i = from;
        while (i < to && state != State.DONE) {
            switch (state) {
                case HEAD -> i = feedHead(buf, i, to);
                case BODY_LENGTH -> {
                    int n = (int) Math.min(remaining, to - i);
                    i += n;
                    remaining -= n;
                    if (remaining == 0) {
                        state = State.DONE;
                    }
                }
                case BODY_UNTIL_CLOSE -> i = to;
                case CHUNK_SIZE -> {
                    byte b = buf[i++];
                    if (b == '\r') {
                        state = State.CHUNK_SIZE_LF;
                    } else if (b == ';') {
                        chunkExtension = true;
                    } else if (!chunkExtension) {
                        int digit = Character.digit(b, 16);
                        if (digit < 0 || chunkSize > (Long.MAX_VALUE >> 4)) {
                            throw new ProtocolException("bad chunk size");
                        }
                        chunkSize = chunkSize * 16 + digit;
                        chunkSizeSeen = true;
                    }
                }
                case CHUNK_SIZE_LF -> {
                    expect(buf[i++], '\n');
                    if (!chunkSizeSeen) {
                        throw new ProtocolException("empty chunk size");
                    }
                    if (chunkSize == 0) {
                        trailerLineLength = 0;
                        state = State.TRAILER;
                    } else {
                        remaining = chunkSize;
                        state = State.CHUNK_DATA;
                    }
                }
                case CHUNK_DATA -> {
                    int n = (int) Math.min(remaining, to - i);
                    i += n;
                    remaining -= n;
                    if (remaining == 0) {
                        state = State.CHUNK_DATA_CR;
                    }
                }
                case CHUNK_DATA_CR -> {
                    expect(buf[i++], '\r');
                    state = State.CHUNK_DATA_LF;
                }
                case CHUNK_DATA_LF -> {
                    expect(buf[i++], '\n');
                    startChunk();
                }
                case TRAILER -> {
                    byte b = buf[i++];
                    if (b == '\n') {
                        if (trailerLineLength == 0) {
                            state = State.DONE;
                        }
                        trailerLineLength = 0;
                    } else if (b != '\r') {
                        trailerLineLength++;
                    }
                }
                case DONE -> throw new IllegalStateException("unreachable");
            }
        }
        return state == State.DONE ? i : to;
    }

    private static void expect(byte actual, char wanted) throws ProtocolException {
        if (actual != wanted) {
            throw new ProtocolException("malformed chunked body");
        }
    }

    private void startChunk() {
        chunkSize = 0;
        chunkSizeSeen = false;
        chunkExtension = false;
        state = State.CHUNK_SIZE;
    }

    /** Copies head bytes until the blank line, then parses the head. */
    private int feedHead(byte[] buf, int from, int to) throws ProtocolException {
        int i = from;
        while (i < to) {
            byte b = buf[i++];
            endMatch =
                    switch (endMatch) {
                        case 0, 2 -> b == '\r' ? endMatch + 1 : 0;
                        case 1, 3 -> b == '\n' ? endMatch + 1 : (b == '\r' ? 1 : 0);
                        default -> throw new IllegalStateException("unreachable");
                    };
            if (endMatch == 4) {
                break;
            }
        }
        int n = i - from;
        if (headLength + n > MAX_HEAD_BYTES) {
            throw new ProtocolException("response head exceeds " + MAX_HEAD_BYTES + " bytes");
        }
        if (headLength + n > head.length) {
            head = Arrays.copyOf(head, Math.max(head.length * 2, headLength + n));
        }
        System.arraycopy(buf, from, head, headLength, n);
        headLength += n;
        if (endMatch == 4) {
            parseHead();
        }
        return i;
    }

    private void parseHead() throws ProtocolException {
        // "HTTP/1.1 200 OK\r\n": the version, then a three-digit status.
        if (headLength < 12
                || !startsWith(head, 0, "HTTP/1.")
                || head[8] != ' '
                || !isDigit(head[9])
                || !isDigit(head[10])
                || !isDigit(head[11])) {
            throw new ProtocolException("not an HTTP/1.x status line");
        }
        boolean http10 = head[7] == '0';
        status = (head[9] - '0') * 100 + (head[10] - '0') * 10 + (head[11] - '0');
        long contentLength = -1;
        boolean chunked = false;
        boolean keepAlive = false;
        int line = indexOfCrlf(0) + 2;
        while (line < headLength - 2) {
            int end = indexOfCrlf(line);
            int colon = indexOf((byte) ':', line, end);
            if (colon > line) {
                int v = colon + 1;
                while (v < end && (head[v] == ' ' || head[v] == '\t')) {
                    v++;
                }
                if (nameIs(line, colon, "content-length")) {
                    contentLength = parseLength(v, end);
                } else if (nameIs(line, colon, "transfer-encoding")) {
                    chunked = valueContains(v, end, "chunked");
                } else if (nameIs(line, colon, "connection")) {
                    close |= valueContains(v, end, "close");
                    keepAlive |= valueContains(v, end, "keep-alive");
                }
            }
            line = end + 2;
        }
        if (http10 && !keepAlive) {
            close = true;
        }
        if (noBody || status == 204 || status == 304 || status / 100 == 1) {
            state = State.DONE;
        } else if (chunked) {
            startChunk();
        } else if (contentLength >= 0) {
            remaining = contentLength;
            state = contentLength == 0 ? State.DONE : State.BODY_LENGTH;
        } else {
            close = true;
            state = State.BODY_UNTIL_CLOSE;
        }
    }

    private int indexOfCrlf(int from) {
        for (int i = from; i < headLength - 1; i++) {
            if (head[i] == '\r' && head[i + 1] == '\n') {
                return i;
            }
        }
        return headLength;
    }

    private int indexOf(byte b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (head[i] == b) {
                return i;
            }
        }
        return -1;
    }

    private boolean nameIs(int from, int to, String lowerName) {
        if (to - from != lowerName.length()) {
            return false;
        }
        for (int i = 0; i < lowerName.length(); i++) {
            int c = head[from + i];
            if (c >= 'A' && c <= 'Z') {
                c += 32;
            }
            if (c != lowerName.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private boolean valueContains(int from, int to, String lowerWord) {
        String value = new String(head, from, to - from, StandardCharsets.ISO_8859_1);
        return value.toLowerCase(java.util.Locale.ROOT).contains(lowerWord);
    }

    private long parseLength(int from, int to) throws ProtocolException {
        long v = 0;
        int end = to;
        while (end > from && (head[end - 1] == ' ' || head[end - 1] == '\t')) {
            end--;
        }
        if (end == from) {
            throw new ProtocolException("empty Content-Length");
        }
        for (int i = from; i < end; i++) {
            if (!isDigit(head[i]) || v > (Long.MAX_VALUE - 9) / 10) {
                throw new ProtocolException("bad Content-Length");
            }
            v = v * 10 + (head[i] - '0');
        }
        return v;
    }

    private static boolean isDigit(byte b) {
        return b >= '0' && b <= '9';
    }

    private static boolean startsWith(byte[] bytes, int at, String prefix) {
        for (int i = 0; i < prefix.length(); i++) {
            if (bytes[at + i] != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** The server sent something that is not an HTTP/1.x response. */
    static final class ProtocolException extends Exception {
        private static final long serialVersionUID = 1L;

        ProtocolException(String message) {
            super(message);
        }
    }
}
