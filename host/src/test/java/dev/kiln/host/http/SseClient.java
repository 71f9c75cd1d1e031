package dev.kiln.host.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A server-sent events client over a plain socket: sends one GET, reads the response head, then
 * decodes the body (chunked or not) into events and comment lines on a thread of its own.
 */
final class SseClient implements AutoCloseable {
    /** One event: its {@code event}, {@code id} and {@code data} fields. */
    record Event(String event, String id, String data) {}

    private final Socket socket;
    private final Thread reader;
    private final CountDownLatch headRead = new CountDownLatch(1);
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final AtomicInteger comments = new AtomicInteger();
    private volatile String head = "";
    private volatile boolean ended;

    SseClient(int port, String path, String key) throws IOException {
        socket = new Socket();
        socket.connect(
                new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), port),
                5_000);
        String request =
                "GET "
                        + path
                        + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                        + "Authorization: Bearer "
                        + key
                        + "\r\n\r\n";
        socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
        socket.getOutputStream().flush();
        reader = new Thread(this::read, "sse-client");
        reader.setDaemon(true);
        reader.start();
    }

    /** The response head (status line and headers), waiting up to {@code timeout}. */
    String head(Duration timeout) throws InterruptedException {
        if (!headRead.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("no response head within " + timeout);
        }
        return head;
    }

    /** The next event, or null when none came within {@code timeout}. */
    Event next(Duration timeout) throws InterruptedException {
        return events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Comment lines (heartbeats) received so far. */
    int comments() {
        return comments.get();
    }

    /** Whether the server ended the stream. */
    boolean ended() {
        return ended;
    }

    private void read() {
        try (InputStream in = socket.getInputStream()) {
            String h = readHead(in);
            head = h;
            headRead.countDown();
            boolean chunked = h.toLowerCase(Locale.ROOT).contains("transfer-encoding: chunked");
            StringBuilder line = new StringBuilder();
            String event = null;
            String id = null;
            StringBuilder data = null;
            for (int c; (c = chunked ? chunkedByte(in) : in.read()) >= 0; ) {
                if (c != '\n') {
                    line.append((char) c);
                    continue;
                }
                String l = line.toString();
                line.setLength(0);
                if (l.isEmpty()) {
                    if (data != null) {
                        events.add(new Event(event, id, data.toString()));
                    }
                    event = null;
                    id = null;
                    data = null;
                } else if (l.startsWith(":")) {
                    comments.incrementAndGet();
                } else if (l.startsWith("event:")) {
                    event = l.substring(6).strip();
                } else if (l.startsWith("id:")) {
                    id = l.substring(3).strip();
                } else if (l.startsWith("data:")) {
                    if (data == null) {
                        data = new StringBuilder();
                    } else {
                        data.append('\n');
                    }
                    data.append(l.substring(5).strip());
                }
            }
        } catch (IOException e) {
            // The socket was closed (by the test or the server).
        } finally {
            ended = true;
            headRead.countDown();
        }
    }

    private int chunkLeft = 0;
    private boolean lastChunk;

    /** One byte of a chunked body, -1 at its end. */
    private int chunkedByte(InputStream in) throws IOException {
        if (lastChunk) {
            return -1;
        }
        if (chunkLeft == 0) {
            String size = readLine(in);
            if (size.isEmpty()) {
                size = readLine(in); // the CRLF ending the previous chunk
            }
            int semi = size.indexOf(';');
            chunkLeft = Integer.parseInt((semi < 0 ? size : size.substring(0, semi)).strip(), 16);
            if (chunkLeft == 0) {
                lastChunk = true;
                return -1;
            }
        }
        int b = in.read();
        if (b >= 0) {
            chunkLeft--;
        }
        return b;
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int b; (b = in.read()) >= 0 && b != '\n'; ) {
            if (b != '\r') {
                out.write(b);
            }
        }
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    private static String readHead(InputStream in) throws IOException {
        StringBuilder h = new StringBuilder();
        String l = readLine(in);
        while (!l.isEmpty()) {
            h.append(l).append('\n');
            l = readLine(in);
        }
        return h.toString();
    }

    @Override
    public void close() throws IOException {
        socket.close();
        try {
            reader.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
