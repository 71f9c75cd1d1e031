package dev.kiln.host.cli;

import dev.kiln.host.KilnHost;
import dev.kiln.host.core.TempDirectory;
import dev.kiln.host.invoke.StartWarmup;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * A short workload on a throwaway server, for {@code ./kiln} to run under {@code
 * -XX:AOTCacheOutput} when the jar changed: the JVM then archives the classes a server loads and
 * links while it deploys and answers requests, and the profiles of their hot methods, which a
 * restarted {@code kiln serve} maps instead of loading, verifying and profiling them again on its
 * first requests (issue 21 item 6, docs/adr/0067).
 */
@Command(
        name = "training-run",
        hidden = true,
        description =
                "Start a server on a temporary directory, deploy and invoke a built-in echo over"
                        + " HTTP, stop (./kiln runs it to build the start-up cache).")
final class TrainingRunCommand implements Callable<Integer> {
    @Option(
            names = "--requests",
            description = "Requests of each kind (default: ${DEFAULT-VALUE}).")
    int requests = 2_000;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        long start = System.nanoTime();
        try (TempDirectory data = TempDirectory.create("kiln-training")) {
            // Through serve's own options, so that the classes that configure a server are the
            // ones serve loads.
            var serve = new ServeCommand();
            new CommandLine(serve)
                    .parseArgs(
                            "--host", "127.0.0.1", "--port", "0", "--data", data.path().toString());
            // Twice on the same directory: the second is what a restarted server does, its first
            // invocation finding the function's code in compiled/.
            for (boolean deploy : new boolean[] {true, false}) {
                try (KilnHost host = KilnHost.start(serve.config())) {
                    drive("http://127.0.0.1:" + host.port(), host.adminToken().token(), deploy);
                }
            }
        }
        spec.commandLine()
                .getOut()
                .println(
                        "training run: "
                                + requests
                                + " requests of each kind, twice, in "
                                + (System.nanoTime() - start) / 1_000_000
                                + " ms");
        return 0;
    }

    // What a server does for its users: deploys and an alias, invocations by /invoke (latest,
    // a version, the alias) and by the HTTP trigger, of a function that calls the host (the
    // quickstart's hello) too, an event, and the reads a console makes.
    private void drive(String base, String token, boolean deploy)
            throws IOException, InterruptedException {
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
    }

    private static HttpRequest.Builder module(String uri, byte[] wasm) {
        return HttpRequest.newBuilder(URI.create(uri))
                .header("Content-Type", "application/wasm")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(wasm));
    }

    /** guest-sdks/examples/wat/hello.wasm, copied into the jar at build time. */
    private static byte[] helloModule() throws IOException {
        try (InputStream in = TrainingRunCommand.class.getResourceAsStream("hello.wasm")) {
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
            HttpRequest r = request.header("Authorization", "Bearer " + token).build();
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
