package dev.kiln.conformance;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/** The few HTTP calls the suite makes to a Kiln deployment. */
final class KilnClient {
    /** Headers java.net.http refuses to set; a case may not use them. */
    private static final Set<String> RESTRICTED =
            Set.of("connection", "content-length", "host", "expect", "upgrade");

    private final String base;
    private final String token;
    private final HttpClient http =
            HttpClient.newBuilder()
                    .connectTimeout(Duration.ofSeconds(10))
                    .version(HttpClient.Version.HTTP_1_1)
                    .build();

    KilnClient(URI target, String token) {
        String t = target.toString();
        this.base = t.endsWith("/") ? t.substring(0, t.length() - 1) : t;
        this.token = token;
    }

    HttpResponse<byte[]> send(
            String method, String path, Map<String, String> headers, byte[] body, boolean auth)
            throws IOException, InterruptedException {
        return send(method, path, headers, body, auth, false);
    }

    HttpResponse<byte[]> send(
            String method,
            String path,
            Map<String, String> headers,
            byte[] body,
            boolean auth,
            boolean chunked)
            throws IOException, InterruptedException {
        if (RawHttp.needed(method)) {
            return raw(method, path, headers, body, auth, chunked);
        }
        return http.send(
                request(method, path, headers, body, auth, chunked),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    CompletableFuture<HttpResponse<byte[]>> sendAsync(
            String method,
            String path,
            Map<String, String> headers,
            byte[] body,
            boolean auth,
            boolean chunked) {
        if (RawHttp.needed(method)) {
            return CompletableFuture.supplyAsync(
                    () -> {
                        try {
                            return raw(method, path, headers, body, auth, chunked);
                        } catch (IOException e) {
                            throw new java.util.concurrent.CompletionException(e);
                        }
                    });
        }
        return http.sendAsync(
                request(method, path, headers, body, auth, chunked),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    /**
     * A request whose body is framed by the given header lines (not a Content-Length) and sent as
     * written, over a socket of its own: framing java.net.http would never produce.
     */
    HttpResponse<byte[]> sendFramed(
            String method,
            String path,
            Map<String, String> headers,
            byte[] body,
            boolean auth,
            List<String> framing)
            throws IOException {
        return RawHttp.send(URI.create(base + path), method, lines(headers, auth), body, framing);
    }

    /**
     * A request with a {@code Host} header of the case's own (java.net.http always sends the
     * target's), over a socket of its own: how a client reaches a custom-domain route.
     */
    HttpResponse<byte[]> sendToHost(
            String method,
            String path,
            String host,
            Map<String, String> headers,
            byte[] body,
            boolean auth)
            throws IOException {
        return RawHttp.send(
                URI.create(base + path), method, lines(headers, auth), body, null, host);
    }

    /**
     * 60 s, or 10 minutes for a body over 1 MiB: uploading a language runtime (the 11.5 MB Python
     * one) answers only after the host compiled it and ran its kiln_init.
     */
    private static Duration timeoutFor(byte[] body) {
        return body != null && body.length > (1 << 20)
                ? Duration.ofMinutes(10)
                : Duration.ofSeconds(60);
    }

    /** A request java.net.http refuses to send (CONNECT), over a socket of its own. */
    private HttpResponse<byte[]> raw(
            String method,
            String path,
            Map<String, String> headers,
            byte[] body,
            boolean auth,
            boolean chunked)
            throws IOException {
        if (chunked) {
            throw new IllegalArgumentException(method + " requests cannot be sent chunked");
        }
        return RawHttp.send(URI.create(base + path), method, lines(headers, auth), body, null);
    }

    private List<Map.Entry<String, String>> lines(Map<String, String> headers, boolean auth) {
        List<Map.Entry<String, String>> lines = new ArrayList<>();
        if (auth) {
            lines.add(Map.entry("Authorization", "Bearer " + token));
        }
        for (var h : headers.entrySet()) {
            checkSettable(h.getKey());
            for (String v : h.getValue().split("\n", -1)) {
                lines.add(Map.entry(h.getKey(), v));
            }
        }
        return lines;
    }

    private static void checkSettable(String header) {
        if (RESTRICTED.contains(header.toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException("header " + header + " cannot be set by a case");
        }
    }

    private HttpRequest request(
            String method,
            String path,
            Map<String, String> headers,
            byte[] body,
            boolean auth,
            boolean chunked) {
        HttpRequest.BodyPublisher publisher;
        if (chunked) {
            // Unknown length: sent chunked, so the host must enforce caps while reading.
            publisher =
                    HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body));
        } else if (body.length == 0 && (method.equals("GET") || method.equals("HEAD"))) {
            publisher = HttpRequest.BodyPublishers.noBody();
        } else {
            publisher = HttpRequest.BodyPublishers.ofByteArray(body);
        }
        // The path is appended verbatim: unlike URI.resolve, dot segments and encodings reach
        // the host as the case wrote them.
        HttpRequest.Builder b =
                HttpRequest.newBuilder(URI.create(base + path))
                        .timeout(timeoutFor(body))
                        .method(method, publisher);
        if (auth) {
            b.header("Authorization", "Bearer " + token);
        }
        for (var h : headers.entrySet()) {
            checkSettable(h.getKey());
            // Repeated headers: values separated by "\n" become separate header lines.
            for (String v : h.getValue().split("\n", -1)) {
                b.header(h.getKey(), v);
            }
        }
        return b.build();
    }

    static String functionPath(String service, String function) {
        return "/api/v1/services/" + service + "/functions/" + function;
    }
}
