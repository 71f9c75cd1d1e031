package dev.kiln.host.cli;

import dev.kiln.loadgen.Durations;
import dev.kiln.loadgen.LatencyReport;
import dev.kiln.loadgen.LoadGenerator;
import dev.kiln.loadgen.LoadResult;
import dev.kiln.loadgen.LoadSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code kiln bench service/function}: drives load at a function on a running Kiln (on this
 * machine) and prints throughput, latency percentiles and a text histogram.
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = {
            "Load-test a function on a running Kiln on this machine and print its latency.",
            "Closed loop (as fast as responses come back) unless --rate is given; with --rate,"
                    + " latency counts from each request's intended send time.",
            "Only 127.0.0.1 targets are accepted."
        })
final class BenchCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(
            index = "0",
            paramLabel = "<service>/<function>",
            description = "The function to call.")
    String function;

    @Option(
            names = "--rate",
            description = "Requests per second (open loop); default: as fast as possible.")
    Double rate;

    @Option(
            names = "--connections",
            description = "Keep-alive connections (default: ${DEFAULT-VALUE}).")
    int connections = 16;

    @Option(
            names = "--threads",
            description = "Load generator threads (default: ${DEFAULT-VALUE}).")
    int threads = 1;

    @Option(
            names = "--duration",
            description = "Measured time, e.g. 10s, 500ms, 2m (default: ${DEFAULT-VALUE}).")
    String duration = "10s";

    @Option(
            names = "--warmup",
            description = "Load before measuring starts (default: ${DEFAULT-VALUE}).")
    String warmup = "2s";

    @Option(names = "--target", description = "The Kiln to call (default: ${DEFAULT-VALUE}).")
    URI target = URI.create("http://127.0.0.1:8080");

    @Option(
            names = "--token",
            description =
                    "Admin token for the invoke API (default: $KILN_ADMIN_TOKEN, else"
                            + " kiln-data/admin-token).")
    String token;

    @Option(
            names = "--http",
            description = "Call the HTTP trigger /fn/{service}/{function}/ instead of invoke.")
    boolean http;

    @Option(
            names = "--payload",
            description = "Event (invoke) or request body (--http) to send (default: empty).")
    String payload = "";

    @Option(
            names = "--hgrm",
            description = "Also write the latency distribution (HdrHistogram .hgrm) to this file.")
    Path hgrm;

    private LoadResult lastResult;

    /** The result of the last run, for tests. */
    LoadResult lastResult() {
        return lastResult;
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String[] parts = function.split("/", -1);
        if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
            err.println("kiln bench: name the function as <service>/<function>, got " + function);
            return 2;
        }
        String base = target.toString().replaceAll("/+$", "");
        URI url =
                URI.create(
                        http
                                ? base + "/fn/" + parts[0] + "/" + parts[1] + "/"
                                : base
                                        + "/api/v1/services/"
                                        + parts[0]
                                        + "/functions/"
                                        + parts[1]
                                        + "/invoke");
        byte[] body = payload.getBytes(StandardCharsets.UTF_8);
        LoadSpec.Builder load;
        try {
            load =
                    LoadSpec.builder(url)
                            .method("POST")
                            .body(body)
                            .connections(connections)
                            .threads(threads)
                            .warmup(Durations.parse(warmup))
                            .duration(Durations.parse(duration));
            if (!http) {
                load.header("Authorization: Bearer " + resolveToken());
            }
            if (rate != null) {
                load.rate(rate);
            }
            LoadSpec built = load.build();
            String refused = probe(built);
            if (refused != null) {
                err.println("kiln bench: " + function + " " + refused);
                return 1;
            }
            err.println("kiln bench: " + built.describe() + " against " + url);
            lastResult =
                    LoadGenerator.run(
                            built,
                            (elapsed, responses) -> {
                                err.printf(
                                        Locale.ROOT,
                                        "  %4.0f s  %,d responses%n",
                                        elapsed.toMillis() / 1e3,
                                        responses);
                                err.flush();
                            });
        } catch (IllegalArgumentException e) {
            err.println("kiln bench: " + e.getMessage());
            return 2;
        }
        out.print(LatencyReport.summary(lastResult));
        out.println("  latency histogram:");
        out.print(LatencyReport.textHistogram(lastResult.latency(), 40));
        if (hgrm != null) {
            LatencyReport.writeHgrm(lastResult.latency(), hgrm);
            out.println("  latency distribution written to " + hgrm);
        }
        out.flush();
        return lastResult.responses() > 0 ? 0 : 1;
    }

    private String resolveToken() throws IOException {
        if (token != null) {
            return token;
        }
        String env = System.getenv("KILN_ADMIN_TOKEN");
        if (env != null && !env.isBlank()) {
            return env;
        }
        Path file = Path.of("kiln-data", "admin-token");
        if (Files.isReadable(file)) {
            return Files.readString(file).strip();
        }
        throw new IllegalArgumentException(
                "the invoke API needs the admin token: pass --token, set KILN_ADMIN_TOKEN, or run"
                        + " where kiln-data/admin-token is (or use --http for the public trigger)");
    }

    /**
     * One request first, so a wrong name or token is one clear message, not thousands of errors.
     *
     * @return null when the function answers 2xx, else what went wrong
     */
    private static String probe(LoadSpec load) throws InterruptedException {
        HttpRequest.Builder request =
                HttpRequest.newBuilder(load.target())
                        .timeout(Duration.ofSeconds(30))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(load.body()));
        for (String h : load.headers()) {
            int colon = h.indexOf(':');
            request.header(h.substring(0, colon).trim(), h.substring(colon + 1).trim());
        }
        try {
            HttpResponse<String> response =
                    HttpClient.newBuilder()
                            .version(HttpClient.Version.HTTP_1_1)
                            .connectTimeout(Duration.ofSeconds(5))
                            .build()
                            .send(request.build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() / 100 == 2) {
                return null;
            }
            return "answered " + response.statusCode() + ": " + response.body().strip();
        } catch (IOException e) {
            return "could not be reached at " + load.target() + ": " + e;
        }
    }
}
