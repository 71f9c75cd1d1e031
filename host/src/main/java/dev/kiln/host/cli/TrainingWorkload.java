package dev.kiln.host.cli;

import dev.kiln.host.invoke.StartWarmup;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Requests a real server answers for its users, sent over loopback with the admin token: what the
 * start-up cache is trained on (docs/adr/0067) and what {@code kiln serve} warms its request path
 * with before it opens its port (docs/adr/0083).
 *
 * @param requests invocations of each kind through the JDK's client
 * @param curlShaped requests after them, each on a connection of its own ({@link
 *     CurlShapedRequests})
 */
record TrainingWorkload(int requests, int curlShaped) {
    /**
     * Longest wait for one answer: a server that stops answering ends the workload with an error
     * instead of holding {@code serve}'s start for good. Far beyond any answer on loopback.
     */
    static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(30);

    // What a server does for its users: deploys and an alias, invocations by /invoke (latest,
    // a version, the alias) and by the HTTP trigger, of a function that calls the host (the
    // quickstart's hello) too, an event, and the reads a console makes; then requests each on a
    // connection of its own, as curl sends them.
    void drive(int port, String token, boolean deploy) throws IOException, InterruptedException {
        String base = "http://127.0.0.1:" + port;
        String function = base + "/api/v1/services/training/functions/echo";
        String hello = base + "/api/v1/services/training/functions/hello";
        try (HttpClient client = HttpClient.newHttpClient()) {
            var calls = new Calls(client, token);
            if (deploy) {
                calls.expect(201, module(function, StartWarmup.echoModule()));
                calls.expect(201, module(hello, helloModule()));
                calls.expect(
                        201,
                        HttpRequest.newBuilder(URI.create(function + "/aliases/live"))
                                .header("Content-Type", "application/json")
                                .PUT(HttpRequest.BodyPublishers.ofString("{\"version\": 1}")));
            }
            for (int i = 0; i < requests; i++) {
                calls.expect(200, post(function + "/invoke", "training " + i));
                calls.expect(200, post(base + "/fn/training/echo/path?i=" + i, "training " + i));
                // A version and an alias take paths of their own through the registry, and host
                // calls theirs through the sandbox.
                if (i % 4 == 0) {
                    calls.expect(200, post(function + "/invoke?qualifier=1", "training " + i));
                    calls.expect(200, post(function + "/invoke?qualifier=live", "training " + i));
                    calls.expect(200, post(hello + "/invoke", "training " + i));
                    calls.expect(200, post(base + "/fn/training/hello/", "training " + i));
                }
            }
            calls.expect(
                    202,
                    post(function + "/invoke", "event").header("X-Kiln-Invocation-Type", "async"));
            for (String read :
                    new String[] {
                        function,
                        function + "/invocations?limit=20",
                        function + "/versions",
                        base + "/api/v1/services/training/functions",
                        base + "/metrics",
                        base + "/healthz"
                    }) {
                calls.expect(200, HttpRequest.newBuilder(URI.create(read)).GET());
            }
        }
        // The client above keeps one connection alive and sends the same headers every time; C2
        // compiles for the traffic it saw, and a first curl then hit its uncommon traps.
        new CurlShapedRequests(port, token, ANSWER_TIMEOUT).send("training", curlShaped);
    }

    private static HttpRequest.Builder module(String uri, byte[] wasm) {
        return HttpRequest.newBuilder(URI.create(uri))
                .header("Content-Type", "application/wasm")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(wasm));
    }

    /** guest-sdks/examples/wat/hello.wasm, copied into the jar at build time. */
    private static byte[] helloModule() throws IOException {
        try (InputStream in = TrainingWorkload.class.getResourceAsStream("hello.wasm")) {
            if (in == null) {
                throw new IOException("hello.wasm is missing from the jar");
            }
            return in.readAllBytes();
        }
    }

    private static HttpRequest.Builder post(String uri, String body) {
        return HttpRequest.newBuilder(URI.create(uri))
                .POST(HttpRequest.BodyPublishers.ofString(body));
    }

    /** Sends requests with the admin token; an unexpected status ends the run. */
    private record Calls(HttpClient client, String token) {
        void expect(int status, HttpRequest.Builder request)
                throws IOException, InterruptedException {
            HttpRequest r =
                    request.header("Authorization", "Bearer " + token)
                            .timeout(ANSWER_TIMEOUT)
                            .build();
            HttpResponse<String> response = client.send(r, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != status) {
                throw new IOException(
                        r.method()
                                + " "
                                + r.uri().getPath()
                                + " answered "
                                + response.statusCode()
                                + ": "
                                + response.body());
            }
        }
    }
}
