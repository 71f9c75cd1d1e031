package dev.kiln.perf;

import dev.kiln.host.KilnHost;
import dev.kiln.host.config.KilnConfig;
import dev.kiln.perf.peers.KilnPeer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Bytes the host allocates per echo request (issue 21 item 1): a real host in this JVM, one
 * keep-alive connection driven from the calling thread, and the JVM's count of bytes allocated by
 * every thread (dead ones too) minus the calling thread's own. So it counts the IO thread, the
 * worker, the record writer and whatever else a request sets off, and not the client. Allocation is
 * nearly deterministic (unlike time), which is what lets {@code AllocationBoundTest} hold the bound
 * in CI.
 *
 * <p>{@code java -cp perf/target/kiln-benchmarks.jar dev.kiln.perf.AllocationPerRequest [requests]
 * [payload bytes]} prints bytes per request for {@code /invoke} and the HTTP trigger.
 */
public final class AllocationPerRequest implements AutoCloseable {
    private static final String TOKEN = "alloc-admin-token";
    private static final String INVOKE = "/api/v1/services/bench/functions/echo/invoke";
    private static final String HTTP_TRIGGER = "/fn/bench/echo/";
    private static final String WASI_CGI_TRIGGER = "/fn/bench/echo-cgi/";

    private final Path dir;
    private final KilnHost host;

    private AllocationPerRequest(Path dir, KilnHost host) {
        this.dir = dir;
        this.host = host;
    }

    public static void main(String[] args) throws Exception {
        int requests = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int payload = args.length > 1 ? Integer.parseInt(args[1]) : 16;
        try (AllocationPerRequest probe = start()) {
            System.out.printf(
                    "bytes allocated per echo request (%d B payload, %d requests): invoke %d,"
                            + " http trigger %d, wasi-cgi through the http trigger %d%n",
                    payload,
                    requests,
                    probe.invoke(requests, payload),
                    probe.httpTrigger(requests, payload),
                    probe.wasiCgiTrigger(requests, payload));
        }
    }

    /**
     * A host on port 0 with the echo function deployed as {@code bench/echo} and perf/run's WASI
     * command echo as the wasi-cgi function {@code bench/echo-cgi}.
     */
    public static AllocationPerRequest start() throws Exception {
        Path dir = Files.createTempDirectory("kiln-alloc");
        KilnHost host =
                KilnHost.start(KilnConfig.builder().port(0).dataDir(dir).adminToken(TOKEN).build());
        AllocationPerRequest probe = new AllocationPerRequest(dir, host);
        try {
            probe.deploy("echo", "application/wasm", WatResources.wasm("/peers/echo.wat"));
            probe.deploy(
                    "echo-cgi",
                    "application/zip",
                    KilnPeer.wasiCgiZip(WatResources.wasm("/peers/echo-cgi.wat")));
        } catch (Exception e) {
            probe.close();
            throw e;
        }
        return probe;
    }

    private void deploy(String function, String contentType, byte[] body) throws Exception {
        var put =
                HttpClient.newHttpClient()
                        .send(
                                HttpRequest.newBuilder(
                                                URI.create(
                                                        "http://127.0.0.1:"
                                                                + host.port()
                                                                + "/api/v1/services/bench"
                                                                + "/functions/"
                                                                + function))
                                        .header("Authorization", "Bearer " + TOKEN)
                                        .header("Content-Type", contentType)
                                        .PUT(HttpRequest.BodyPublishers.ofByteArray(body))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
        if (put.statusCode() != 201) {
            throw new IllegalStateException("deploy of " + function + " failed: " + put.body());
        }
    }

    /** Bytes per {@code POST /invoke} of {@code payload} bytes, after as many to warm up. */
    public long invoke(int requests, int payload) throws IOException {
        return measure(INVOKE, true, requests, payload);
    }

    /** Bytes per {@code POST /fn/bench/echo/} of {@code payload} bytes, after a warm-up. */
    public long httpTrigger(int requests, int payload) throws IOException {
        return measure(HTTP_TRIGGER, false, requests, payload);
    }

    /** Bytes per {@code POST /fn/bench/echo-cgi/}: the wasi-cgi echo, a new instance each. */
    public long wasiCgiTrigger(int requests, int payload) throws IOException {
        return measure(WASI_CGI_TRIGGER, false, requests, payload);
    }

    private long measure(String path, boolean authorized, int requests, int payload)
            throws IOException {
        byte[] request = request(path, authorized, payload);
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), host.port())) {
            socket.setTcpNoDelay(true);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[64 * 1024];
            // Warm-up: the JIT compiles the path, pools and caches fill, the writer settles.
            for (int i = 0; i < requests; i++) {
                exchange(out, in, request, buffer);
            }
            var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long totalBefore = threads.getTotalThreadAllocatedBytes();
            long ownBefore = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < requests; i++) {
                exchange(out, in, request, buffer);
            }
            long total = threads.getTotalThreadAllocatedBytes() - totalBefore;
            long own = threads.getCurrentThreadAllocatedBytes() - ownBefore;
            return (total - own) / requests;
        }
    }

    private byte[] request(String path, boolean authorized, int payload) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        String head =
                "POST "
                        + path
                        + " HTTP/1.1\r\nHost: 127.0.0.1:"
                        + host.port()
                        + "\r\n"
                        + (authorized ? "Authorization: Bearer " + TOKEN + "\r\n" : "")
                        + "Content-Type: application/octet-stream\r\nContent-Length: "
                        + payload
                        + "\r\n\r\n";
        bytes.writeBytes(head.getBytes(StandardCharsets.US_ASCII));
        byte[] body = new byte[payload];
        java.util.Arrays.fill(body, (byte) 'a');
        bytes.writeBytes(body);
        return bytes.toByteArray();
    }

    /** Sends one request and reads its whole response (status 200 with a Content-Length). */
    private static void exchange(OutputStream out, InputStream in, byte[] request, byte[] buffer)
            throws IOException {
        out.write(request);
        out.flush();
        int filled = 0;
        int headEnd = -1;
        while (headEnd < 0) {
            int n = in.read(buffer, filled, buffer.length - filled);
            if (n < 0) {
                throw new IOException("connection closed mid-response");
            }
            filled += n;
            headEnd = indexOfBlankLine(buffer, filled);
        }
        String head = new String(buffer, 0, headEnd, StandardCharsets.US_ASCII);
        if (!head.startsWith("HTTP/1.1 200")) {
            throw new IOException("not 200: " + head.lines().findFirst().orElse(""));
        }
        int length = contentLength(head);
        int have = filled - (headEnd + 4);
        while (have < length) {
            int n = in.read(buffer, 0, Math.min(buffer.length, length - have));
            if (n < 0) {
                throw new IOException("connection closed mid-body");
            }
            have += n;
        }
    }

    private static int indexOfBlankLine(byte[] b, int n) {
        for (int i = 0; i + 3 < n; i++) {
            if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') {
                return i;
            }
        }
        return -1;
    }

    private static int contentLength(String head) {
        for (String line : head.lines().toList()) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("content-length")) {
                return Integer.parseInt(line.substring(colon + 1).trim());
            }
        }
        throw new IllegalStateException("no content-length in " + head);
    }

    @Override
    public void close() throws IOException {
        host.close();
        TempDirs.deleteTree(dir);
    }
}
