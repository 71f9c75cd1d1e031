package dev.kiln.conformance;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * One HTTP/1.1 exchange over a socket of its own, for requests java.net.http refuses to send: the
 * {@code CONNECT} method, and bodies framed by a case's own header lines ({@code framing}). The
 * request target is the origin-form path a case gives (not an authority), which is what a client
 * aiming CONNECT at a function's URL sends. The connection is closed after the answer, since a host
 * that accepted the CONNECT may treat it as a tunnel.
 */
final class RawHttp {
    private RawHttp() {}

    /** Methods java.net.http will not send. */
    static boolean needed(String method) {
        return method.equalsIgnoreCase("CONNECT");
    }

    /**
     * @param framing header lines framing the body in place of {@code Content-Length} (the body is
     *     then sent as written), or {@code null} for a Content-Length
     */
    static HttpResponse<byte[]> send(
            URI uri,
            String method,
            List<Map.Entry<String, String>> headers,
            byte[] body,
            List<String> framing)
            throws IOException {
        return send(uri, method, headers, body, framing, uri.getRawAuthority());
    }

    /**
     * @param hostHeader the {@code Host} header to send (a custom domain), not the target's own
     */
    static HttpResponse<byte[]> send(
            URI uri,
            String method,
            List<Map.Entry<String, String>> headers,
            byte[] body,
            List<String> framing,
            String hostHeader)
            throws IOException {
        String host = uri.getHost();
        boolean tls = "https".equalsIgnoreCase(uri.getScheme());
        int port = uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80;
        String target =
                (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath())
                        + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        StringBuilder head = new StringBuilder();
        head.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
        head.append("Host: ").append(hostHeader).append("\r\n");
        for (var h : headers) {
            head.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
        }
        if (framing == null) {
            head.append("Content-Length: ").append(body.length).append("\r\n");
        } else {
            for (String line : framing) {
                head.append(line).append("\r\n");
            }
        }
        head.append("Connection: close\r\n\r\n");
        try (Socket socket = open(host, port, tls)) {
            socket.setSoTimeout((int) Duration.ofSeconds(60).toMillis());
            OutputStream out = socket.getOutputStream();
            out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.write(body);
            out.flush();
            return parse(uri, readUntilClosed(socket));
        }
    }

    /**
     * Everything the host sent until it closed. A host that closes with request bytes unread (a
     * refused body) makes the kernel reset the connection; what arrived before the reset counts.
     */
    private static byte[] readUntilClosed(Socket socket) throws IOException {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        try {
            for (int n; (n = socket.getInputStream().read(buf)) >= 0; ) {
                got.write(buf, 0, n);
            }
        } catch (java.net.SocketException e) {
            if (got.size() == 0) {
                throw e;
            }
        }
        return got.toByteArray();
    }

    private static Socket open(String host, int port, boolean tls) throws IOException {
        Socket plain = new Socket();
        plain.connect(new InetSocketAddress(host, port), (int) Duration.ofSeconds(10).toMillis());
        if (!tls) {
            return plain;
        }
        SSLSocket s =
                (SSLSocket)
                        ((SSLSocketFactory) SSLSocketFactory.getDefault())
                                .createSocket(plain, host, port, true);
        SSLParameters p = s.getSSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS");
        s.setSSLParameters(p);
        return s;
    }

    private static HttpResponse<byte[]> parse(URI uri, byte[] raw) throws IOException {
        int end = indexOf(raw, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), 0);
        if (end < 0) {
            throw new IOException("the answer to a raw request had no complete header block");
        }
        String[] lines = new String(raw, 0, end, StandardCharsets.ISO_8859_1).split("\r\n", -1);
        String[] status = lines[0].split(" ", 3);
        if (status.length < 2 || !status[0].startsWith("HTTP/")) {
            throw new IOException("not an HTTP status line: " + lines[0]);
        }
        Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.computeIfAbsent(lines[i].substring(0, colon).trim(), k -> new ArrayList<>())
                        .add(lines[i].substring(colon + 1).trim());
            }
        }
        int from = end + 4;
        byte[] body;
        String te = first(headers, "transfer-encoding");
        String length = first(headers, "content-length");
        if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
            body = dechunk(raw, from);
        } else if (length != null) {
            int n = Math.min(Integer.parseInt(length.trim()), raw.length - from);
            body = java.util.Arrays.copyOfRange(raw, from, from + n);
        } else {
            body = java.util.Arrays.copyOfRange(raw, from, raw.length);
        }
        return new Response(
                Integer.parseInt(status[1]), HttpHeaders.of(headers, (k, v) -> true), body, uri);
    }

    private static String first(Map<String, List<String>> headers, String name) {
        List<String> v = headers.get(name);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    private static byte[] dechunk(byte[] raw, int at) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] crlf = "\r\n".getBytes(StandardCharsets.ISO_8859_1);
        while (true) {
            int eol = indexOf(raw, crlf, at);
            if (eol < 0) {
                throw new IOException("truncated chunked body");
            }
            String size = new String(raw, at, eol - at, StandardCharsets.ISO_8859_1);
            int n = Integer.parseInt(size.split(";", 2)[0].trim(), 16);
            if (n == 0) {
                return out.toByteArray();
            }
            out.write(raw, eol + 2, Math.min(n, raw.length - eol - 2));
            at = eol + 2 + n + 2;
        }
    }

    private static int indexOf(byte[] hay, byte[] needle, int from) {
        outer:
        for (int i = from; i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** What the checks read of an answer: status, headers and body. */
    private record Response(int statusCode, HttpHeaders headers, byte[] body, URI uri)
            implements HttpResponse<byte[]> {
        @Override
        public HttpRequest request() {
            // java.net.http cannot even describe this request (that is why it was sent raw).
            throw new UnsupportedOperationException("a raw " + uri + " request has no HttpRequest");
        }

        @Override
        public Optional<HttpResponse<byte[]>> previousResponse() {
            return Optional.empty();
        }

        @Override
        public Optional<SSLSession> sslSession() {
            return Optional.empty();
        }

        @Override
        public HttpClient.Version version() {
            return HttpClient.Version.HTTP_1_1;
        }
    }
}
