package dev.kiln.host.outbound;

import dev.kiln.abi.Header;
import dev.kiln.abi.OutboundException;
import dev.kiln.abi.OutboundLimits;
import dev.kiln.abi.OutboundRequest;
import dev.kiln.abi.OutboundResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One HTTP/1.1 request and its response over an {@link HttpConnection}: the request is written with
 * {@code Content-Length} framing; the response is read strictly and within caps — header block
 * {@link OutboundLimits#MAX_RESPONSE_HEADER_BYTES} and {@link OutboundLimits#MAX_RESPONSE_HEADERS}
 * fields, header and body bytes together within the invocation's remaining response budget, read no
 * further than that (a response bomb costs the host at most the budget). Bodies framed by {@code
 * Content-Length}, {@code chunked} or the end of the connection; interim 1xx responses are skipped,
 * a 101 switch is refused.
 */
final class Http1Exchange {
    private static final Set<String> BODY_METHODS = Set.of("POST", "PUT", "PATCH");
    private static final int MAX_LINE = 8 * 1024;
    private static final int MAX_INTERIM = 8;

    /**
     * A response and what the exchange cost.
     *
     * @param bytes header and body bytes counted against the response budget
     * @param reusable whether the connection may serve another request
     */
    record Result(OutboundResponse response, long bytes, boolean reusable) {}

    /** Thrown when the server sent something that is not an HTTP/1.1 response. */
    static final class MalformedResponse extends IOException {
        private static final long serialVersionUID = 1L;

        MalformedResponse(String message) {
            super(message);
        }
    }

    private final HttpConnection c;
    private final long deadlineNanos;
    private final long budget;
    private long counted;

    private Http1Exchange(HttpConnection c, long deadlineNanos, long budget) {
        this.c = c;
        this.deadlineNanos = deadlineNanos;
        this.budget = budget;
    }

    /**
     * Sends {@code request} to {@code url} over {@code c} and reads the response.
     *
     * @param budget response bytes the invocation may still receive
     * @throws OutboundException {@code RESPONSE_TOO_LARGE} past the budget or a header cap
     * @throws IOException when the connection fails, times out, or the response is malformed
     */
    static Result run(
            HttpConnection c,
            OutboundUrl url,
            OutboundRequest request,
            long deadlineNanos,
            long budget)
            throws IOException {
        Http1Exchange x = new Http1Exchange(c, deadlineNanos, budget);
        x.write(url, request);
        return x.read(request.method());
    }

    private void write(OutboundUrl url, OutboundRequest request) throws IOException {
        StringBuilder head = new StringBuilder(256);
        head.append(request.method()).append(' ').append(url.target()).append(" HTTP/1.1\r\n");
        head.append("host: ").append(url.authority()).append("\r\n");
        boolean userAgent = false;
        for (Header h : request.headers()) {
            if (h.name().equals("user-agent")) {
                userAgent = true;
            }
            head.append(h.name()).append(": ").append(h.value()).append("\r\n");
        }
        if (!userAgent) {
            head.append("user-agent: kiln\r\n");
        }
        byte[] body = request.body();
        if (body.length > 0 || BODY_METHODS.contains(request.method())) {
            head.append("content-length: ").append(body.length).append("\r\n");
        }
        head.append("\r\n");
        OutputStream out = c.out();
        out.write(head.toString().getBytes(StandardCharsets.UTF_8));
        out.write(body);
        out.flush();
    }

    private Result read(String method) throws IOException {
        for (int interim = 0; ; interim++) {
            String statusLine = line();
            int status = status(statusLine);
            boolean http10 = statusLine.startsWith("HTTP/1.0");
            List<Header> headers = headerFields();
            if (status == 101) {
                throw new MalformedResponse("the server switched protocols");
            }
            if (status < 200) {
                if (interim >= MAX_INTERIM) {
                    throw new MalformedResponse("too many interim responses");
                }
                continue;
            }
            boolean reusable = !http10 && !has(headers, "connection", "close");
            byte[] body;
            if (method.equals("HEAD") || status == 204 || status == 304) {
                body = new byte[0];
            } else {
                String te = last(headers, "transfer-encoding");
                String cl = last(headers, "content-length");
                if (te != null) {
                    String[] codings = te.split(",", -1);
                    if (codings[codings.length - 1].trim().equalsIgnoreCase("chunked")) {
                        body = chunked();
                    } else {
                        body = toEnd();
                        reusable = false;
                    }
                } else if (cl != null) {
                    body = fixed(contentLength(headers));
                } else {
                    body = toEnd();
                    reusable = false;
                }
            }
            // Bytes the server sent beyond the response: the connection is not in a known state.
            if (c.hasBuffered()) {
                reusable = false;
            }
            return new Result(new OutboundResponse(status, headers, body), counted, reusable);
        }
    }

    private static int status(String line) throws MalformedResponse {
        if (!(line.startsWith("HTTP/1.1 ") || line.startsWith("HTTP/1.0 "))
                || line.length() < 12
                || (line.length() > 12 && line.charAt(12) != ' ')) {
            throw new MalformedResponse("not an HTTP/1.x status line");
        }
        int status = 0;
        for (int i = 9; i < 12; i++) {
            char d = line.charAt(i);
            if (d < '0' || d > '9') {
                throw new MalformedResponse("not an HTTP/1.x status line");
            }
            status = status * 10 + (d - '0');
        }
        if (status < 100 || status > 599) {
            throw new MalformedResponse("status out of range");
        }
        return status;
    }

    private List<Header> headerFields() throws IOException {
        List<Header> headers = new ArrayList<>();
        int blockBytes = 0;
        while (true) {
            String line = line();
            blockBytes += line.length() + 2;
            if (blockBytes > OutboundLimits.MAX_RESPONSE_HEADER_BYTES) {
                throw tooLarge(
                        "the response's header block is over "
                                + OutboundLimits.MAX_RESPONSE_HEADER_BYTES
                                + " bytes");
            }
            if (line.isEmpty()) {
                return headers;
            }
            if (headers.size() >= OutboundLimits.MAX_RESPONSE_HEADERS) {
                throw tooLarge(
                        "the response has more than "
                                + OutboundLimits.MAX_RESPONSE_HEADERS
                                + " header fields");
            }
            int colon = line.indexOf(':');
            if (colon <= 0 || line.charAt(0) == ' ' || line.charAt(0) == '\t') {
                throw new MalformedResponse("a malformed header line");
            }
            String name = line.substring(0, colon);
            String value = line.substring(colon + 1).strip();
            if (!isToken(name) || !isFieldValue(value)) {
                throw new MalformedResponse("a malformed header field");
            }
            headers.add(new Header(name.toLowerCase(Locale.ROOT), value));
        }
    }

    /** A line up to LF (CR before it dropped), as ISO-8859-1, counted against the budget. */
    private String line() throws IOException {
        StringBuilder b = new StringBuilder(64);
        while (true) {
            int ch = c.read(deadlineNanos);
            if (ch < 0) {
                throw new MalformedResponse("the connection ended inside the response head");
            }
            count(1);
            if (ch == '\n') {
                int n = b.length();
                if (n > 0 && b.charAt(n - 1) == '\r') {
                    b.setLength(n - 1);
                }
                return b.toString();
            }
            if (b.length() >= MAX_LINE) {
                throw tooLarge("a response line is over " + MAX_LINE + " bytes");
            }
            b.append((char) ch);
        }
    }

    private long contentLength(List<Header> headers) throws MalformedResponse {
        long value = -1;
        for (Header h : headers) {
            if (!h.name().equals("content-length")) {
                continue;
            }
            String v = h.value();
            if (v.isEmpty()
                    || v.length() > 18
                    || !v.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
                throw new MalformedResponse("a malformed Content-Length");
            }
            long n = Long.parseLong(v);
            if (value >= 0 && n != value) {
                throw new MalformedResponse("conflicting Content-Length fields");
            }
            value = n;
        }
        return value;
    }

    private byte[] fixed(long length) throws IOException {
        if (length > budget - counted || length > Integer.MAX_VALUE - 8) {
            // Refused before a byte of the body is read.
            throw tooLarge("the response body of " + length + " bytes is over the budget");
        }
        byte[] body = new byte[(int) length];
        int off = 0;
        while (off < body.length) {
            int n = c.read(body, off, body.length - off, deadlineNanos);
            if (n < 0) {
                throw new MalformedResponse("the connection ended inside the body");
            }
            off += n;
        }
        count(length);
        return body;
    }

    private byte[] chunked() throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String sizeLine = line();
            int semi = sizeLine.indexOf(';');
            String hex = (semi < 0 ? sizeLine : sizeLine.substring(0, semi)).strip();
            if (hex.isEmpty()
                    || hex.length() > 15
                    || !hex.chars().allMatch(ch -> Character.digit(ch, 16) >= 0)) {
                throw new MalformedResponse("a malformed chunk size");
            }
            long size = Long.parseLong(hex, 16);
            if (size == 0) {
                headerFields(); // trailers: read within the caps, then dropped
                return body.toByteArray();
            }
            if (size > budget - counted) {
                throw tooLarge("the response body is over the budget");
            }
            byte[] chunk = new byte[8 * 1024];
            long left = size;
            while (left > 0) {
                int n = c.read(chunk, 0, (int) Math.min(chunk.length, left), deadlineNanos);
                if (n < 0) {
                    throw new MalformedResponse("the connection ended inside a chunk");
                }
                count(n);
                body.write(chunk, 0, n);
                left -= n;
            }
            if (!line().isEmpty()) {
                throw new MalformedResponse("a chunk without its CRLF");
            }
        }
    }

    private byte[] toEnd() throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        byte[] chunk = new byte[8 * 1024];
        while (true) {
            long room = budget - counted;
            // Read one byte past the budget at most: enough to know the body is too large.
            int n = c.read(chunk, 0, (int) Math.min(chunk.length, room + 1), deadlineNanos);
            if (n < 0) {
                return body.toByteArray();
            }
            count(n);
            body.write(chunk, 0, n);
        }
    }

    /** Counts response bytes; past the budget the exchange ends, and reading with it. */
    private void count(long n) {
        counted += n;
        if (counted > budget) {
            throw tooLarge("the responses of this invocation passed " + budget + " bytes");
        }
    }

    private static OutboundException tooLarge(String why) {
        return new OutboundException(OutboundException.Kind.RESPONSE_TOO_LARGE, why);
    }

    private static boolean has(List<Header> headers, String name, String token) {
        for (Header h : headers) {
            if (h.name().equals(name)) {
                for (String t : h.value().split(",", -1)) {
                    if (t.trim().equalsIgnoreCase(token)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private static String last(List<Header> headers, String name) {
        String v = null;
        for (Header h : headers) {
            if (h.name().equals(name)) {
                v = v == null ? h.value() : v + ", " + h.value();
            }
        }
        return v;
    }

    private static boolean isToken(String s) {
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            boolean ok =
                    (ch >= 'a' && ch <= 'z')
                            || (ch >= 'A' && ch <= 'Z')
                            || (ch >= '0' && ch <= '9')
                            || "!#$%&'*+-.^_`|~".indexOf(ch) >= 0;
            if (!ok) {
                return false;
            }
        }
        return !s.isEmpty();
    }

    private static boolean isFieldValue(String s) {
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if ((ch < 0x20 && ch != '\t') || ch == 0x7F) {
                return false;
            }
        }
        return true;
    }
}
