package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.client.KilnClient;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code kiln logs s/f [--follow]}: a function's guest log lines, each with its request id. */
@Command(
        name = "logs",
        mixinStandardHelpOptions = true,
        description = {
            "Print a function's recent guest log lines (time, level, request id, message).",
            "--follow keeps printing new lines as invocations write them, until Ctrl-C."
        })
final class LogsCommand implements Callable<Integer> {
    private final CliContext context;

    @Parameters(
            index = "0",
            paramLabel = "<service/function>",
            converter = FunctionRefConverter.class)
    FunctionRef function;

    @Option(
            names = {"-f", "--follow"},
            description = "Keep printing new lines (server-sent events).")
    boolean follow;

    @Option(
            names = {"-n", "--limit"},
            paramLabel = "<n>",
            description = "How many recent lines (default 100, at most 200).")
    int limit = 100;

    @Mixin ConnectionOptions connection;
    @Spec CommandSpec spec;

    LogsCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() throws Exception {
        var out = spec.commandLine().getOut();
        KilnClient client = context.client(connection, spec.commandLine().getErr());
        if (!follow) {
            JsonNode lines = client.getLogs(function.service(), function.function(), limit);
            if (connection.json) {
                Output.json(out, lines);
            } else {
                lines.forEach(l -> out.println(Output.logLine(l)));
                out.flush();
            }
            return 0;
        }
        // Checks the function exists first: a follow of a missing one fails at once, by name.
        client.getFunction(function.service(), function.function());
        new LogTail(
                        client,
                        function,
                        line -> {
                            // One JSON object per line when following: a stream a script can read.
                            out.println(connection.json ? line.toString() : Output.logLine(line));
                            out.flush();
                        },
                        Duration.ofSeconds(1),
                        spec.commandLine().getErr())
                .run();
        return 0;
    }
}
