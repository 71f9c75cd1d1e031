package dev.kiln.perf.soak;

import dev.kiln.loadgen.LoadSpec;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One kind of request in the mixed load: where it goes, how often, and what counts as a correct
 * answer, at the client (HTTP status) and in the host's {@code kiln_invocations_total} (outcome).
 *
 * @param name short name in the tables
 * @param function the function it runs
 * @param hostile whether its errors are the point (counted apart, never as errors when expected)
 * @param path request path on the host
 * @param headers extra request headers
 * @param status the status a correct answer has
 * @param outcome the outcome the host must record for each invocation ({@code ok} or an error code)
 * @param rate requests per second
 * @param connections keep-alive connections it uses
 */
record LoadKind(
        String name,
        String function,
        boolean hostile,
        String path,
        List<String> headers,
        int status,
        String outcome,
        double rate,
        int connections) {

    static final byte[] PAYLOAD =
            "soak: sixty-four bytes of payload, echoed back by every guest...."
                    .getBytes(StandardCharsets.UTF_8);

    /** The mixed load at {@code totalRate} requests per second, shared as {@code settings} say. */
    static List<LoadKind> mix(SoakSettings s, double totalRate, String token) {
        List<String> auth = List.of("Authorization: Bearer " + token);
        String api = "/api/v1/services/" + KilnApi.SERVICE + "/functions/";
        List<LoadKind> kinds = new ArrayList<>();
        kinds.add(
                kind(
                        "echo",
                        "echo",
                        false,
                        api + "echo/invoke",
                        auth,
                        200,
                        "ok",
                        totalRate * s.echoShare()));
        kinds.add(
                kind(
                        "http",
                        "web",
                        false,
                        "/fn/" + KilnApi.SERVICE + "/web/soak?x=1",
                        List.of("Content-Type: text/plain"),
                        200,
                        "ok",
                        totalRate * s.httpShare()));
        List<String> async = new ArrayList<>(auth);
        async.add("X-Kiln-Invocation-Type: async");
        kinds.add(
                kind(
                        "async",
                        "sink",
                        false,
                        api + "sink/invoke",
                        async,
                        202,
                        "ok",
                        totalRate * s.asyncShare()));
        double hostile = s.hostileRate() + totalRate * s.hostileShare() / 4;
        kinds.add(
                kind(
                        "fuel",
                        "spin",
                        true,
                        api + "spin/invoke",
                        auth,
                        500,
                        "fuel_exhausted",
                        hostile));
        kinds.add(
                kind(
                        "memory",
                        "hog",
                        true,
                        api + "hog/invoke",
                        auth,
                        500,
                        "memory_limit",
                        hostile));
        kinds.add(
                kind(
                        "trap",
                        "crash",
                        true,
                        api + "crash/invoke",
                        auth,
                        500,
                        "guest_trap",
                        hostile));
        kinds.add(
                kind(
                        "stack",
                        "deep",
                        true,
                        api + "deep/invoke",
                        auth,
                        500,
                        "stack_exhausted",
                        hostile));
        kinds.add(
                kind(
                        "timeout",
                        "sleeper",
                        true,
                        api + "sleeper/invoke",
                        auth,
                        504,
                        "timeout",
                        s.timeoutRate()));
        return kinds.stream().filter(k -> k.rate() > 0).toList();
    }

    private static LoadKind kind(
            String name,
            String function,
            boolean hostile,
            String path,
            List<String> headers,
            int status,
            String outcome,
            double rate) {
        // Enough connections for 50 ms of requests in flight, so a short stall of the host shows as
        // latency (counted from each request's due time) rather than as the client running out of
        // connections; at least 2, at most 32.
        int connections = (int) Math.max(2, Math.min(32, Math.ceil(rate * 0.05)));
        return new LoadKind(
                name, function, hostile, path, headers, status, outcome, rate, connections);
    }

    LoadSpec spec(String base, Duration duration) {
        LoadSpec.Builder b =
                LoadSpec.builder(URI.create(base + path))
                        .method("POST")
                        .body(PAYLOAD)
                        .connections(connections)
                        .threads(1)
                        .rate(rate)
                        .warmup(Duration.ZERO)
                        .duration(duration)
                        .drain(Duration.ofSeconds(5));
        headers.forEach(b::header);
        return b.build();
    }
}
