package dev.kiln.loadgen;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One load run: the request every connection sends over and over, how many connections, how it is
 * paced and for how long. Every bound is checked here, so a run always ends.
 *
 * @param target {@code http://127.0.0.1:port/path?query}; other hosts are refused
 * @param method request method, e.g. {@code GET} or {@code POST}
 * @param headers extra request headers, {@code "Name: value"} each ({@code Host} and {@code
 *     Content-Length} are always sent)
 * @param body request body, possibly empty
 * @param connections keep-alive HTTP/1.1 connections, spread over the threads
 * @param threads event-loop threads; each drives its share of the connections
 * @param warmup load before measuring starts; its responses are not recorded
 * @param duration the measured window
 * @param drain how long to wait, after the window, for requests still in flight
 */
public record LoadSpec(
        URI target,
        String method,
        List<String> headers,
        byte[] body,
        int connections,
        int threads,
        Pacing pacing,
        Duration warmup,
        Duration duration,
        Duration drain) {
    public static final int MAX_CONNECTIONS = 10_000;
    public static final int MAX_THREADS = 64;
    public static final Duration MAX_DURATION = Duration.ofHours(1);
    public static final double MAX_RATE = 10_000_000;

    public LoadSpec {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(pacing, "pacing");
        headers = List.copyOf(headers);
        body = body.clone();
        Loopback.resolve(target);
        if (!method.chars().allMatch(c -> c >= 'A' && c <= 'Z') || method.isEmpty()) {
            throw new IllegalArgumentException("method must be upper-case letters: " + method);
        }
        for (String h : headers) {
            int colon = h.indexOf(':');
            if (colon <= 0 || h.indexOf('\r') >= 0 || h.indexOf('\n') >= 0) {
                throw new IllegalArgumentException("a header must look like 'Name: value': " + h);
            }
        }
        inRange(connections, 1, MAX_CONNECTIONS, "connections");
        inRange(threads, 1, MAX_THREADS, "threads");
        if (threads > connections) {
            throw new IllegalArgumentException(
                    "threads (" + threads + ") must not exceed connections (" + connections + ")");
        }
        within(warmup, Duration.ZERO, "warmup");
        within(duration, Duration.ofMillis(1), "duration");
        within(drain, Duration.ZERO, "drain");
    }

    private static void inRange(int v, int min, int max, String name) {
        if (v < min || v > max) {
            throw new IllegalArgumentException(
                    name + " must be in [" + min + ", " + max + "], got " + v);
        }
    }

    private static void within(Duration d, Duration min, String name) {
        Objects.requireNonNull(d, name);
        if (d.compareTo(min) < 0 || d.compareTo(MAX_DURATION) > 0) {
            throw new IllegalArgumentException(
                    name + " must be in [" + min + ", " + MAX_DURATION + "], got " + d);
        }
    }

    /** The request body (a copy). */
    @Override
    public byte[] body() {
        return body.clone();
    }

    /** The loopback address the target names. */
    public InetSocketAddress address() {
        return Loopback.resolve(target);
    }

    /** The exact bytes sent for every request. */
    byte[] requestBytes() {
        InetSocketAddress address = address();
        String path = target.getRawPath();
        if (path == null || path.isEmpty()) {
            path = "/";
        }
        if (target.getRawQuery() != null) {
            path += "?" + target.getRawQuery();
        }
        StringBuilder head = new StringBuilder(128 + 32 * headers.size());
        head.append(method).append(' ').append(path).append(" HTTP/1.1\r\n");
        head.append("Host: ")
                .append(address.getAddress().getHostAddress())
                .append(':')
                .append(address.getPort())
                .append("\r\n");
        boolean bodyless = method.equals("GET") || method.equals("HEAD");
        if (body.length > 0 || !bodyless) {
            head.append("Content-Length: ").append(body.length).append("\r\n");
        }
        for (String h : headers) {
            String name = h.substring(0, h.indexOf(':')).trim().toLowerCase(Locale.ROOT);
            if (!name.equals("host") && !name.equals("content-length")) {
                head.append(h).append("\r\n");
            }
        }
        head.append("\r\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream(head.length() + body.length);
        out.writeBytes(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(body);
        return out.toByteArray();
    }

    /** A one-line description, e.g. {@code open loop at 1000 req/s, 16 connections, 1 thread}. */
    public String describe() {
        String pace =
                switch (pacing) {
                    case Pacing.Closed c -> "closed loop";
                    case Pacing.Open o ->
                            String.format("open loop at %.0f req/s", o.requestsPerSecond());
                };
        return pace
                + ", "
                + connections
                + (connections == 1 ? " connection, " : " connections, ")
                + threads
                + (threads == 1 ? " thread" : " threads");
    }

    public static Builder builder(URI target) {
        return new Builder(target);
    }

    /** Defaults: {@code GET}, no body, 16 connections on 1 thread, closed loop, 10 s. */
    public static final class Builder {
        private final URI target;
        private String method = "GET";
        private final List<String> headers = new ArrayList<>();
        private byte[] body = new byte[0];
        private int connections = 16;
        private int threads = 1;
        private Pacing pacing = Pacing.closed();
        private Duration warmup = Duration.ZERO;
        private Duration duration = Duration.ofSeconds(10);
        private Duration drain = Duration.ofSeconds(2);

        private Builder(URI target) {
            this.target = target;
        }

        public Builder method(String v) {
            method = v;
            return this;
        }

        /** Adds a header, {@code "Name: value"}. */
        public Builder header(String v) {
            headers.add(v);
            return this;
        }

        public Builder body(byte[] v) {
            body = v;
            return this;
        }

        public Builder connections(int v) {
            connections = v;
            return this;
        }

        public Builder threads(int v) {
            threads = v;
            return this;
        }

        public Builder pacing(Pacing v) {
            pacing = v;
            return this;
        }

        /** Open loop at {@code requestsPerSecond}; see {@link Pacing.Open}. */
        public Builder rate(double requestsPerSecond) {
            pacing = Pacing.open(requestsPerSecond);
            return this;
        }

        public Builder warmup(Duration v) {
            warmup = v;
            return this;
        }

        public Builder duration(Duration v) {
            duration = v;
            return this;
        }

        public Builder drain(Duration v) {
            drain = v;
            return this;
        }

        public LoadSpec build() {
            return new LoadSpec(
                    target,
                    method,
                    headers,
                    body,
                    connections,
                    threads,
                    pacing,
                    warmup,
                    duration,
                    drain);
        }
    }
}
