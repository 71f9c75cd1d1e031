package dev.kiln.loadgen;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/** A blocking HTTP/1.1 server on a free loopback port with one scripted behaviour. */
final class RawServer implements AutoCloseable {
    enum Behaviour {
        /** Keep-alive; echoes the body with Content-Length. */
        ECHO,
        /** Echoes, chunked. */
        ECHO_CHUNKED,
        /** Answers with Connection: close, then closes. */
        CLOSE_EACH,
        /** Keep-alive echo that takes 20 ms per request. */
        SLOW,
        /** Reads requests, never answers. */
        STALL,
        /** Reads a request, then closes without a response. */
        DROP
    }

    private final ServerSocket socket;
    private final Behaviour behaviour;
    final AtomicLong requests = new AtomicLong();
    final AtomicLong connections = new AtomicLong();

    RawServer(Behaviour behaviour) throws IOException {
        this.behaviour = behaviour;
        this.socket = new ServerSocket(0, 128, InetAddress.getByAddress(new byte[] {127, 0, 0, 1}));
        Thread acceptor = new Thread(this::accept, "raw-server-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + socket.getLocalPort() + path);
    }

    private void accept() {
        while (!socket.isClosed()) {
            try {
                Socket s = socket.accept();
                connections.incrementAndGet();
                Thread t = new Thread(() -> serve(s), "raw-server-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s;
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream()) {
            s.setTcpNoDelay(true);
            while (true) {
                byte[] body = readRequest(in);
                if (body == null) {
                    return;
                }
                requests.incrementAndGet();
                switch (behaviour) {
                    case ECHO -> {
                        out.write(head("Content-Length: " + body.length));
                        out.write(body);
                    }
                    case ECHO_CHUNKED -> {
                        out.write(head("Transfer-Encoding: chunked"));
                        out.write(
                                (Integer.toHexString(body.length) + "\r\n")
                                        .getBytes(StandardCharsets.US_ASCII));
                        out.write(body);
                        out.write("\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    }
                    case CLOSE_EACH -> {
                        out.write(head("Connection: close\r\nContent-Length: 2"));
                        out.write("ok".getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                        return;
                    }
                    case SLOW -> {
                        try {
                            Thread.sleep(20);
                        } catch (InterruptedException e) {
                            return;
                        }
                        out.write(head("Content-Length: " + body.length));
                        out.write(body);
                    }
                    case STALL -> {}
                    case DROP -> {
                        return;
                    }
                }
                out.flush();
            }
        } catch (IOException e) {
            // The client went away.
        }
    }

    private static byte[] head(String headers) {
        return ("HTTP/1.1 200 OK\r\n" + headers + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** Reads one request; returns its body, or null at end of stream. */
    private static byte[] readRequest(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int match = 0;
        while (match < 4) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            head.write(b);
            match = (b == (match % 2 == 0 ? '\r' : '\n')) ? match + 1 : (b == '\r' ? 1 : 0);
        }
        int length = 0;
        for (String line : head.toString(StandardCharsets.ISO_8859_1).split("\r\n", -1)) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        return in.readNBytes(length);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
