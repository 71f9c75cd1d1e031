package dev.kiln.conformance;

import java.net.URI;
import java.nio.file.Path;
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
            "Prints PASS, FAIL or SKIP and the time of each case, then a summary; exits 1 when any"
                    + " case failed."
        })
public final class ConformanceCli implements Callable<Integer> {
    @Option(
            names = "--target",
            description = "Base URL of the Kiln host (default: ${DEFAULT-VALUE}).")
    URI target = URI.create("http://127.0.0.1:8080");

    @Option(names = "--admin-token", description = "Admin token (default: $KILN_ADMIN_TOKEN).")
    String token = System.getenv("KILN_ADMIN_TOKEN");

    @Option(names = "--cases", description = "Cases directory (default: ${DEFAULT-VALUE}).")
    Path cases = Path.of("conformance", "cases");

    @Option(names = "--filter", description = "Glob over case names, e.g. 'abi/*'.")
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
        ConformanceSuite suite = ConformanceSuite.load(cases, filter);
        if (list) {
            suite.names().forEach(System.out::println);
            return 0;
        }
        if (token == null || token.isBlank()) {
            System.err.println("kiln-conformance: give --admin-token or set KILN_ADMIN_TOKEN");
            return 2;
        }
        Report report = suite.run(target, token, parallel);
        report.print(System.out);
        report.writeJUnitXml(junitXml);
        return report.failed() == 0 ? 0 : 1;
    }
}
