package dev.kiln.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code kiln rm s/f [--version N]}: deletes a function, or one of its versions. */
@Command(
        name = "rm",
        mixinStandardHelpOptions = true,
        description = {
            "Delete a function with its versions, aliases, triggers and queued events;",
            "with --version, only that version (refused while an alias points at it)."
        })
final class RmCommand implements Callable<Integer> {
    private final CliContext context;

    @Parameters(
            index = "0",
            paramLabel = "<service/function>",
            converter = FunctionRefConverter.class)
    FunctionRef function;

    @Option(names = "--version", paramLabel = "<n>", description = "Delete only this version.")
    Integer version;

    @Mixin ConnectionOptions connection;
    @Spec CommandSpec spec;

    RmCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        var client = context.client(connection, spec.commandLine().getErr());
        var out = spec.commandLine().getOut();
        if (version != null) {
            client.deleteVersion(function.service(), function.function(), version);
        } else {
            client.deleteFunction(function.service(), function.function());
        }
        String what = function + (version == null ? "" : " version " + version);
        if (connection.json) {
            var o = Output.JSON.createObjectNode().put("deleted", what);
            Output.json(out, o);
        } else {
            out.println("Deleted " + what + ".");
            out.flush();
        }
        return 0;
    }
}
