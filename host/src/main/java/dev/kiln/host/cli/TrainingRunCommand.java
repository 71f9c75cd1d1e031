package dev.kiln.host.cli;

import dev.kiln.host.KilnHost;
import dev.kiln.host.core.TempDirectory;
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
                    // A quarter as many curl-shaped: the cache wants their classes and profiles,
                    // not their volume.
                    new TrainingWorkload(requests, requests / 4)
                            .drive(host.port(), host.adminToken().token(), deploy);
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
}
