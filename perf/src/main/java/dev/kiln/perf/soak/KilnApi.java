package dev.kiln.perf.soak;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** The few management calls the soak makes, with the JDK client (not on the measured path). */
final class KilnApi {
    static final String SERVICE = "soak";

    private final HttpClient client =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final String base;
    private final String token;

    KilnApi(String base, String token) {
        this.base = base;
        this.token = token;
    }

    String base() {
        return base;
    }

    String token() {
        return token;
    }

    /** {@code /api/v1/services/soak/functions/{function}} plus {@code rest}. */
    String functionPath(String function, String rest) {
        return "/api/v1/services/" + SERVICE + "/functions/" + function + rest;
    }

    HttpResponse<String> put(String function, byte[] wasm)
            throws IOException, InterruptedException {
        return send(
                request(functionPath(function, ""))
                        .header("Content-Type", "application/wasm")
                        .PUT(HttpRequest.BodyPublishers.ofByteArray(wasm)));
    }

    HttpResponse<String> patch(String function, String json)
            throws IOException, InterruptedException {
        return send(
                request(functionPath(function, ""))
                        .header("Content-Type", "application/json")
                        .method("PATCH", HttpRequest.BodyPublishers.ofString(json)));
    }

    /** A POST to {@code path} with the admin token when it is under {@code /api}. */
    HttpResponse<String> post(String path, byte[] body, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = request(path).POST(HttpRequest.BodyPublishers.ofByteArray(body));
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return send(b);
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return send(request(path).GET());
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b =
                HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60));
        if (!path.startsWith("/fn/")) {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    private HttpResponse<String> send(HttpRequest.Builder b)
            throws IOException, InterruptedException {
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** An error's {@code code} from Kiln's envelope, or "" when the body is not one. */
    static String errorCode(String body) {
        int at = body.indexOf("\"code\"");
        if (at < 0) {
            return "";
        }
        int open = body.indexOf('"', body.indexOf(':', at) + 1);
        int close = body.indexOf('"', open + 1);
        return open < 0 || close < 0 ? "" : body.substring(open + 1, close);
    }
}
