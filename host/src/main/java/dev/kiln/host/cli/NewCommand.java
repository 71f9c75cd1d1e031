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
            "Create a function project from an SDK's hello example (Rust, C or AssemblyScript).",
            "The project holds a copy of the SDK and a build.sh that installs its toolchain."
        })
final class NewCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "<lang>", description = "rust, c or assemblyscript (as).")
    String language;

    @Parameters(
            index = "1",
            paramLabel = "<name>",
            description =
                    "Project and function name: lower-case letters, digits, '-' and '_', starting"
                            + " with a letter.")
    String name;

    @Option(
            names = "--dir",
            description = "Directory to create the project in (default: ./<name>).")
    Path dir;

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
        // Run from Kiln's own directory (./kiln new …), the token file is right here.
        Path token = Path.of("kiln-data", "admin-token").toAbsolutePath();
        String tokenLine =
                Files.isRegularFile(token)
                        ? "TOKEN=$(cat " + token + ")"
                        : "TOKEN=...   # Kiln's admin token: kiln-data/admin-token where Kiln"
                                + " runs, or KILN_ADMIN_TOKEN";
        out.printf(
                """
                Created %s function '%s' in %s (from the SDK's hello example).

                Next steps (with Kiln running: ./kiln serve):
                  cd %s
                  ./build.sh
                  %s
                  curl -X PUT -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/wasm' \\
                    --data-binary @%s http://127.0.0.1:8080/api/v1/services/demo/functions/%s
                  curl 'http://127.0.0.1:8080/fn/demo/%s/greet?name=Kiln'
                """,
                template.language(), name, project, project, tokenLine, module, name, name);
        out.flush();
        return 0;
    }
}
