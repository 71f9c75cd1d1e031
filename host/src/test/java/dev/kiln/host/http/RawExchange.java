package dev.kiln.host.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * A client socket that sends exactly the bytes a test gives (framing java.net.http would never
 * produce) and reads what comes back until the server closes or goes quiet.
 */
final class RawExchange implements AutoCloseable {
    private final Socket socket;

    RawExchange(int port) throws IOException {
        socket = new Socket();
        socket.connect(
                new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), port),
                5_000);
    }

    RawExchange send(String text) throws IOException {
        socket.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
        socket.getOutputStream().flush();
        return this;
    }

    /**
     * What the server sent until it closed the connection (within {@code timeoutMs}).
     *
     * @return the bytes, and whether the server closed (false: it was still open at the timeout)
     */
    Reply readUntilClosed(int timeoutMs) throws IOException {
        socket.setSoTimeout(timeoutMs);
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        InputStream in = socket.getInputStream();
        byte[] buf = new byte[8192];
        try {
            for (int n; (n = in.read(buf)) >= 0; ) {
                got.write(buf, 0, n);
            }
        } catch (SocketTimeoutException e) {
            return new Reply(got.toString(StandardCharsets.ISO_8859_1), false);
        } catch (SocketException e) {
            // A reset after the answer still counts as closed.
            return new Reply(got.toString(StandardCharsets.ISO_8859_1), true);
        }
        return new Reply(got.toString(StandardCharsets.ISO_8859_1), true);
    }

    /**
     * Reads one response (head, then Content-Length bytes of body), leaving the connection open.
     */
    Reply readResponse(int timeoutMs) throws IOException {
        socket.setSoTimeout(timeoutMs);
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        while (!got.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                return new Reply(got.toString(StandardCharsets.ISO_8859_1), true);
            }
            got.write(b);
        }
        String head = got.toString(StandardCharsets.ISO_8859_1);
        int at = head.toLowerCase(java.util.Locale.ROOT).indexOf("content-length:");
        int length =
                at < 0
                        ? 0
                        : Integer.parseInt(head.substring(at + 15, head.indexOf('\r', at)).trim());
        got.write(in.readNBytes(length));
        return new Reply(got.toString(StandardCharsets.ISO_8859_1), false);
    }

    /** A response as text, and whether the server closed the connection after it. */
    record Reply(String text, boolean closed) {
        int status() {
            if (!text.startsWith("HTTP/1.1 ")) {
                return -1;
            }
            return Integer.parseInt(text.substring(9, 12));
        }

        String errorCode() {
            int at = text.indexOf("\"code\":\"");
            if (at < 0) {
                return null;
            }
            int from = at + 8;
            return text.substring(from, text.indexOf('"', from));
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
