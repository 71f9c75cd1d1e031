package dev.kiln.conformance;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A small HTTP server on loopback that cases requiring {@code outbound} send their guests' requests
 * to, as {@code {origin}} (e.g. {@code http://127.0.0.1:41234}). Only started when the target is on
 * loopback too: a remote target could not reach it. Paths: {@code /hello} ("hello", {@code x-test:
 * yes}), {@code /echo} (201, the body back), {@code /redirect?to=URL} (302), {@code /bomb} (a body
 * without end, until the client stops reading), {@code /trickle} (a 100-byte body, one byte a
 * second: slowloris).
 */
final class Origin implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService threads =
            Executors.newCachedThreadPool(
                    r -> {
                        Thread t = new Thread(r, "conformance-origin");
                        t.setDaemon(true);
                        return t;
                    });

    private Origin() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.createContext("/", this::handle);
        server.setExecutor(threads);
        server.start();
    }

    /** An origin when {@code target} is on loopback, else null. */
    static Origin forTarget(URI target) throws IOException {
        String host = target.getHost();
        if (host == null) {
            return null;
        }
        boolean loopback =
                host.equals("localhost")
                        || host.startsWith("127.")
                        || host.equals("[::1]")
                        || host.equals("::1");
        return loopback ? new Origin() : null;
    }

    /** {@code http://127.0.0.1:port}. */
    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private void handle(HttpExchange x) {
        try {
            String path = x.getRequestURI().getPath();
            switch (path) {
                case "/hello" -> {
                    x.getResponseHeaders().add("x-test", "yes");
                    send(x, 200, "hello".getBytes(StandardCharsets.UTF_8));
                }
                case "/echo" -> send(x, 201, x.getRequestBody().readAllBytes());
                case "/redirect" -> {
                    String q = x.getRequestURI().getRawQuery();
                    String to = q != null && q.startsWith("to=") ? q.substring(3) : "/";
                    x.getResponseHeaders().add("location", to);
                    x.sendResponseHeaders(302, -1);
                }
                case "/bomb" -> {
                    x.sendResponseHeaders(200, 0); // chunked, no end announced
                    byte[] chunk = new byte[64 * 1024];
                    OutputStream out = x.getResponseBody();
                    for (int i = 0; i < 4096; i++) { // 256 MiB at most
                        out.write(chunk);
                        out.flush();
                    }
                }
                case "/trickle" -> {
                    x.sendResponseHeaders(200, 100);
                    OutputStream out = x.getResponseBody();
                    for (int i = 0; i < 100; i++) {
                        out.write('.');
                        out.flush();
                        Thread.sleep(1000); // the server's slowness under test
                    }
                }
                default -> x.sendResponseHeaders(404, -1);
            }
        } catch (IOException e) {
            // The client went away (a capped or timed-out guest): what the cases expect.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the runner is stopping the origin
        } finally {
            x.close();
        }
    }

    private static void send(HttpExchange x, int status, byte[] body) throws IOException {
        x.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        x.getResponseBody().write(body);
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
