package dev.kiln.cli;

import dev.kiln.client.KilnClient;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code kiln deploy s/f FILE|DIR}: uploads a module, a zip or a built project. */
@Command(
        name = "deploy",
        mixinStandardHelpOptions = true,
        description = {
            "Deploy a function: a .wasm module, a zip with kiln.json, a project directory made",
            "by 'kiln new' (built with its build.sh first; its kiln.json gives the settings), or",
            "a JavaScript file (export function handler(event, context)), built with Kiln's",
            "JavaScript runtime (needs clang, wasi-libc and npm; QuickJS is compiled once), or",
            "a Python file (def handler(event, context)), built with Kiln's Python runtime",
            "(needs clang, wasi-libc and apt-get source python3.11; CPython is compiled once), or",
            "a Java file (a class with a public handle method) or a directory with",
            "src/main/java, built with TeaVM into a wasi-cgi function (needs a JDK and Maven).",
            "Creates the function, or a new version of it (none when code and settings are"
                    + " unchanged)."
        })
final class DeployCommand implements Callable<Integer> {
    private final CliContext context;

    @Parameters(
            index = "0",
            paramLabel = "<service/function>",
            converter = FunctionRefConverter.class)
    FunctionRef function;

    @Parameters(
            index = "1",
            paramLabel = "<file|dir>",
            description = "Module, zip, project directory, or .js, .py or .java file.")
    Path path;

    @Mixin SettingsOptions settings;
    @Mixin ConnectionOptions connection;
    @Spec CommandSpec spec;

    DeployCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() throws Exception {
        var err = spec.commandLine().getErr();
        KilnClient client = context.client(connection, err);
        Deploying.Result r = Deploying.deploy(client, function, path, settings, context, err);
        if (connection.json) {
            Output.json(spec.commandLine().getOut(), r.function());
        } else {
            Deploying.describe(spec.commandLine().getOut(), client.endpoint(), function, r);
        }
        return 0;
    }
}
