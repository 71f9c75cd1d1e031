package dev.kiln.host.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Invocations each on a connection of its own, shaped as {@code curl} and most first callers send
 * them (a new connection, {@code Accept}, a form or other content type, the client closing after
 * the answer), for {@code kiln serve}'s warm-up (docs/adr/0083).
 *
 * @param port the loopback port of the server
 * @param token its admin token
 * @param timeout longest wait to connect and for each read of an answer
 */
record CurlShapedRequests(int port, String token, Duration timeout) {
    private static final String[] CONTENT_TYPES = {
        "application/x-www-form-urlencoded", "application/json", "application/octet-stream"
    };
    private static final Pattern CONTENT_LENGTH =
            Pattern.compile("(?i)\r\ncontent-length: *(\\d+)");

    /**
     * Sends {@code count} requests: invocations of the service's {@code echo} and {@code hello} by
     * {@code /invoke} and by the HTTP trigger in turn, and every eighth a health check, as a load
     * balancer polls one.
     *
     * @throws IOException if one is not answered 200, or not within the timeout
     */
    void send(String service, int count) throws IOException {
        for (int i = 0; i < count; i++) {
            String function = i % 4 < 2 ? "echo" : "hello";
            if (i % 8 == 7) {
                exchange("GET", "/healthz", i);
            } else if (i % 2 == 0) {
                exchange(
                        "POST",
                        "/api/v1/services/" + service + "/functions/" + function + "/invoke",
                        i);
            } else {
                exchange("POST", "/fn/" + service + "/" + function + "/", i);
            }
        }
    }

    private void exchange(String method, String path, int i) throws IOException {
        try (Socket socket = new Socket()) {
            int millis = (int) timeout.toMillis();
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), millis);
            socket.setSoTimeout(millis);
            byte[] body =
                    method.equals("GET")
                            ? new byte[0]
                            : ("warm-up " + i).getBytes(StandardCharsets.US_ASCII);
            OutputStream out = socket.getOutputStream();
            out.write(
                    (method
                                    + " "
                                    + path
                                    + " HTTP/1.1\r\nHost: 127.0.0.1:"
                                    + port
                                    + "\r\nUser-Agent: kiln-warmup/"
                                    + i % 3
                                    + "\r\nAccept: */*\r\nAuthorization: Bearer "
                                    + token
                                    + (body.length == 0
                                            ? ""
                                            : "\r\nContent-Length: "
                                                    + body.length
                                                    + "\r\nContent-Type: "
                                                    + CONTENT_TYPES[i % CONTENT_TYPES.length])
                                    + "\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            InputStream in = socket.getInputStream();
            String head = head(in, method, path);
            if (!head.startsWith("HTTP/1.1 200 ")) {
                throw new IOException(
                        method + " " + path + " answered " + head.lines().findFirst().orElse(""));
            }
            Matcher length = CONTENT_LENGTH.matcher(head);
            if (length.find()) {
                in.readNBytes(Integer.parseInt(length.group(1)));
            }
        }
    }

    /** The answer's status line and headers, through the blank line that ends them. */
    private static String head(InputStream in, String method, String path) throws IOException {
        var head = new StringBuilder();
        while (head.length() < 4 || !head.substring(head.length() - 4).equals("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException(method + " " + path + " closed before its answer");
            }
            head.append((char) b);
        }
        return head.toString();
    }
}
