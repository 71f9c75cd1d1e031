package dev.kiln.conformance;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code java -jar kiln-conformance.jar --target URL --admin-token T}. */
@Command(
        name = "kiln-conformance",
        mixinStandardHelpOptions = true,
        description = {
            "Run Kiln's conformance cases against a running Kiln deployment.",
            "Prints PASS, FAIL or SKIP and the time of each case, then a summary.",
            "Exit codes: 0 every selected case passed or was skipped; 1 a case failed; 2 usage"
                    + " error (bad option, missing token, missing or broken cases, a filter"
                    + " that selects no case); 3 the target cannot be used (unreachable, not"
                    + " HTTP, or it refused the admin token)."
        })
public final class ConformanceCli implements Callable<Integer> {
    static final int FAILED = 1;
    static final int USAGE = 2;
    static final int TARGET_UNAVAILABLE = 3;

    @Option(
            names = "--target",
            description = "Base URL of the Kiln host (default: ${DEFAULT-VALUE}).")
    URI target = URI.create("http://127.0.0.1:8080");

    @Option(names = "--admin-token", description = "Admin token (default: $KILN_ADMIN_TOKEN).")
    String token = System.getenv("KILN_ADMIN_TOKEN");

    @Option(
            names = "--cases",
            description = "Cases directory (default: the cases bundled in this jar).")
    Path cases;

    @Option(
            names = "--filter",
            description = {
                "Glob over case names, which are <area>/<name>: e.g. 'abi/*', '{http,invoke}/*',"
                        + " '**/method-*'. '*' and '?' never cross '/' (so '*' alone selects"
                        + " nothing); '**' does. A filter that selects no case is an error."
            })
    String filter;

    @Option(names = "--parallel", description = "Cases run at once (default: ${DEFAULT-VALUE}).")
    int parallel = 4;

    @Option(names = "--list", description = "List the selected cases and exit.")
    boolean list;

    @Option(
            names = "--junit-xml",
            description = "Where to write JUnit XML (default: ${DEFAULT-VALUE}).")
    Path junitXml = Path.of("conformance-results.xml");

    public static void main(String[] args) {
        System.exit(new CommandLine(new ConformanceCli()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        try {
            return run();
        } catch (RunnerException.Usage e) {
            System.err.println("kiln-conformance: " + e.getMessage());
            return USAGE;
        } catch (RunnerException.TargetUnavailable e) {
            System.err.println("kiln-conformance: " + e.getMessage());
            return TARGET_UNAVAILABLE;
        }
    }

    private int run() throws RunnerException, IOException, InterruptedException {
        ConformanceSuite suite = load();
        if (list) {
            suite.names().forEach(System.out::println);
            return 0;
        }
        if (token == null || token.isBlank()) {
            throw new RunnerException.Usage("give --admin-token or set KILN_ADMIN_TOKEN");
        }
        String scheme = target.getScheme() == null ? "" : target.getScheme();
        if (!scheme.toLowerCase(Locale.ROOT).matches("https?") || target.getHost() == null) {
            throw new RunnerException.Usage(
                    "--target must be an http:// or https:// URL with a host, not '"
                            + target
                            + "'");
        }
        Report report = suite.run(target, token, parallel);
        report.print(System.out);
        report.writeJUnitXml(junitXml);
        return report.failed() == 0 ? 0 : FAILED;
    }

    /** The selected cases; never none, since a run of zero cases would pass vacuously. */
    private ConformanceSuite load() throws RunnerException, IOException {
        Path root = cases;
        if (root == null) {
            root =
                    BundledCases.root()
                            .orElseThrow(
                                    () ->
                                            new RunnerException.Usage(
                                                    "this runner was built without its cases;"
                                                            + " give --cases DIR"));
        } else if (!Files.isDirectory(root)) {
            throw new RunnerException.Usage("cases directory " + root + " does not exist");
        }
        ConformanceSuite suite;
        try {
            suite = ConformanceSuite.load(root, filter);
        } catch (IOException e) {
            // CaseLoader's own IOException names the case and what is wrong with it.
            throw new RunnerException.Usage(
                    e.getClass() == IOException.class
                            ? e.getMessage()
                            : "cannot read the cases: "
                                    + e.getClass().getSimpleName()
                                    + ": "
                                    + e.getMessage(),
                    e);
        }
        if (suite.names().isEmpty()) {
            throw new RunnerException.Usage(
                    filter == null
                            ? "no cases found in " + root
                            : "--filter '"
                                    + filter
                                    + "' selects no case (names are <area>/<name> and '*' does"
                                    + " not cross '/'; '**' selects every case)");
        }
        return suite;
    }
}
