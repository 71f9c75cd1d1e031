package dev.kiln.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code kiln rm s/f [--version N]}: deletes a function, or one of its versions. */
@Command(
        name = "rm",
        mixinStandardHelpOptions = true,
        description = {
            "Delete a function with its versions, aliases, triggers and queued events;",
            "with --version, only that version (refused while an alias points at it)."
        })
final class RmCommand extends FunctionCommand {
    @Option(names = "--version", paramLabel = "<n>", description = "Delete only this version.")
    Integer version;

    RmCommand(CliContext context) {
        super(context);
    }

    @Override
    public Integer call() {
        var client = client();
        var out = out();
        if (version != null) {
            client.deleteVersion(function.service(), function.function(), version);
        } else {
            client.deleteFunction(function.service(), function.function());
        }
        String what = function + (version == null ? "" : " version " + version);
        if (json()) {
            var o = Output.JSON.createObjectNode().put("deleted", what);
            Output.json(out, o);
        } else {
            out.println("Deleted " + what + ".");
            out.flush();
        }
        return 0;
    }
}
