package dev.kiln.host.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code kiln new <lang> <name>}: a function project from an SDK's hello example. */
@Command(
        name = "new",
        mixinStandardHelpOptions = true,
        description = {
            "Create a function project from an SDK's hello example (Rust, C, AssemblyScript,",
            "JavaScript, Python or Java).",
            "The project holds a copy of the SDK and a build.sh that installs its toolchain."
        })
final class NewCommand implements Callable<Integer> {
    @Parameters(
            index = "0",
            paramLabel = "<lang>",
            description = "rust, c, assemblyscript (as), js (javascript), python (py) or java.")
    String language;

    @Parameters(
            index = "1",
            paramLabel = "<name>",
            description =
                    "Project and function name: lower-case letters, digits, '-' and '_', starting"
                            + " with a letter or digit (Rust: a letter), as the server accepts.")
    String name;

    @Option(
            names = "--dir",
            description = "Directory to create the project in (default: ./<name>).")
    Path dir;

    @Option(
            names = "--endpoint",
            paramLabel = "<url>",
            defaultValue = "${env:KILN_ENDPOINT:-http://127.0.0.1:8080}",
            description =
                    "The Kiln the printed commands use (default: $KILN_ENDPOINT, else"
                            + " ${DEFAULT-VALUE}).")
    String endpoint;

    @Option(
            names = "--service",
            paramLabel = "<service>",
            defaultValue = "demo",
            description = "The service the printed commands deploy to (default: ${DEFAULT-VALUE}).")
    String service;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path project = dir != null ? dir : Path.of(name);
        ProjectTemplate template;
        try {
            template = ProjectTemplate.load(language);
            template.writeTo(project, name);
        } catch (IllegalArgumentException e) {
            err.println("kiln new: " + e.getMessage());
            return 2;
        }
        String module = template.modulePath(name);
        String url = endpoint.replaceAll("/+$", "");
        // Run from Kiln's own directory (./kiln new …), the token file is right here.
        Path token = Path.of("kiln-data", "admin-token").toAbsolutePath();
        String tokenLine =
                Files.isRegularFile(token)
                        ? "TOKEN=$(cat " + token + ")"
                        : "TOKEN=...   # Kiln's admin token: kiln-data/admin-token where Kiln"
                                + " runs, or KILN_ADMIN_TOKEN";
        String fn = service + "/" + name;
        out.printf(
                """
                Created %s function '%s' in %s (from the SDK's hello example).

                Next steps (with Kiln running at %s):
                  kiln login --endpoint %s     # once, with the admin token or an API key
                  kiln deploy %s %s              # runs ./build.sh, then uploads
                  curl '%s/fn/%s/greet?name=Kiln'
                  kiln dev %s --function %s      # rebuilds and redeploys on every change

                Or with curl alone:
                  cd %s
                  ./build.sh
                  %s
                  curl -X PUT -H "Authorization: Bearer $TOKEN" -H 'Content-Type: %s' \\
                    --data-binary @%s %s/api/v1/services/%s/functions/%s
                """,
                template.language(),
                name,
                project,
                url,
                url,
                fn,
                project,
                url,
                fn,
                project,
                fn,
                project,
                tokenLine,
                // A zip (Java: the module with a kiln.json choosing the wasi-cgi ABI) or a module.
                module.endsWith(".zip") ? "application/zip" : "application/wasm",
                module,
                url,
                service,
                name);
        out.flush();
        return 0;
    }
}
