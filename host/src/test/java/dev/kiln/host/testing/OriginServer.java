package dev.kiln.host.testing;

import io.undertow.Undertow;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.handlers.BlockingHandler;
import io.undertow.util.HttpString;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A real HTTP server on loopback that guests' outbound requests go to in tests: {@code /hello}
 * (200, {@code x-test: yes}, "hello"), {@code /echo} (201, the body back, the {@code x-guest}
 * header as {@code x-echo}, the method and content length as {@code x-method} and {@code
 * x-length}), {@code /redirect?to=URL} (302 to it), {@code /bomb} (a chunked body without end,
 * until the client goes away) and {@code /big-length} (claims a 1 GiB body). It counts requests and
 * the connections they came on.
 */
public final class OriginServer implements AutoCloseable {
    private final Undertow server;
    private final int port;
    private final String scheme;
    private final AtomicInteger requests = new AtomicInteger();
    private final Set<InetSocketAddress> connections = ConcurrentHashMap.newKeySet();
    private final AtomicInteger bombBytesSent = new AtomicInteger();
    private final java.util.concurrent.CountDownLatch bombDone =
            new java.util.concurrent.CountDownLatch(1);

    private OriginServer(SSLContext tls) {
        Undertow.Builder b = Undertow.builder().setHandler(new BlockingHandler(this::handle));
        if (tls == null) {
            b.addHttpListener(0, "127.0.0.1");
        } else {
            b.addHttpsListener(0, "127.0.0.1", tls);
        }
        server = b.build();
        server.start();
        port = ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
        scheme = tls == null ? "http" : "https";
    }

    /** A plain HTTP server. */
    public static OriginServer http() {
        return new OriginServer(null);
    }

    /** An HTTPS server with {@code pair}'s certificate (made by {@link TestCertificates}). */
    public static OriginServer https(Path dir, String name) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(dir.resolve(name + ".p12"))) {
            ks.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf =
                KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "changeit".toCharArray());
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        return new OriginServer(ctx);
    }

    public int port() {
        return port;
    }

    /** {@code scheme://127.0.0.1:port} + {@code path}. */
    public String url(String path) {
        return scheme + "://127.0.0.1:" + port + path;
    }

    /** The allow-list entry naming this server literally. */
    public String origin() {
        return scheme + "://127.0.0.1:" + port;
    }

    public int requests() {
        return requests.get();
    }

    /** Distinct client connections requests came on. */
    public int connections() {
        return connections.size();
    }

    /** Bytes {@code /bomb} wrote before its client went away. */
    public int bombBytesSent() {
        return bombBytesSent.get();
    }

    /** Waits until a {@code /bomb} request has ended (its client went away, or all was sent). */
    public boolean awaitBombDone(java.time.Duration timeout) throws InterruptedException {
        return bombDone.await(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    private void handle(HttpServerExchange x) throws IOException {
        requests.incrementAndGet();
        connections.add(x.getSourceAddress());
        switch (x.getRequestPath()) {
            case "/hello" -> {
                x.getResponseHeaders().put(new HttpString("x-test"), "yes");
                x.getOutputStream().write("hello".getBytes(StandardCharsets.UTF_8));
            }
            case "/echo" -> {
                byte[] body = x.getInputStream().readAllBytes();
                x.setStatusCode(201);
                String guest = x.getRequestHeaders().getFirst("x-guest");
                x.getResponseHeaders().put(new HttpString("x-echo"), guest == null ? "" : guest);
                x.getResponseHeaders()
                        .put(new HttpString("x-method"), x.getRequestMethod().toString());
                String cl = x.getRequestHeaders().getFirst("content-length");
                x.getResponseHeaders().put(new HttpString("x-length"), cl == null ? "none" : cl);
                x.getOutputStream().write(body);
            }
            case "/redirect" -> {
                x.setStatusCode(302);
                x.getResponseHeaders()
                        .put(
                                new HttpString("location"),
                                x.getQueryParameters().get("to").getFirst());
            }
            case "/bomb" -> {
                byte[] chunk = new byte[64 * 1024];
                OutputStream out = x.getOutputStream();
                try {
                    for (int i = 0; i < 4096; i++) { // 256 MiB at most
                        out.write(chunk);
                        out.flush();
                        bombBytesSent.addAndGet(chunk.length);
                    }
                } catch (IOException e) {
                    // The client stopped reading: what a capped client does.
                } finally {
                    bombDone.countDown();
                }
            }
            case "/big-length" -> {
                x.setResponseContentLength(1L << 30);
                x.getOutputStream().write(new byte[16]);
                x.getOutputStream().flush();
                x.getConnection().close();
            }
            default -> x.setStatusCode(404);
        }
    }

    @Override
    public void close() {
        server.stop();
    }

    /**
     * A server that answers every connection one byte a second (slowloris): a status line and
     * headers that take longer than any deadline to arrive.
     */
    public static final class Trickle implements AutoCloseable {
        private final ServerSocket socket;
        private final AtomicInteger accepted = new AtomicInteger();

        public Trickle() throws IOException {
            socket = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
            Thread.ofPlatform().daemon().name("trickle").start(this::accept);
        }

        public String url(String path) {
            return "http://127.0.0.1:" + socket.getLocalPort() + path;
        }

        public String origin() {
            return "http://127.0.0.1:" + socket.getLocalPort();
        }

        public int accepted() {
            return accepted.get();
        }

        private void accept() {
            while (!socket.isClosed()) {
                try {
                    Socket s = socket.accept();
                    accepted.incrementAndGet();
                    Thread.ofPlatform().daemon().start(() -> trickle(s));
                } catch (IOException e) {
                    return;
                }
            }
        }

        private static void trickle(Socket s) {
            byte[] answer =
                    "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello"
                            .getBytes(StandardCharsets.US_ASCII);
            try (s) {
                for (byte b : answer) {
                    s.getOutputStream().write(b);
                    s.getOutputStream().flush();
                    Thread.sleep(1000); // the server's slowness, not the test's timing
                }
            } catch (IOException e) {
                // The client gave up, as it must.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
