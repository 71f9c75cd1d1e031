package dev.kiln.cli;

import picocli.CommandLine.Parameters;

/** An {@link ApiCommand} about one function, named first: {@code <service/function>}. */
abstract class FunctionCommand extends ApiCommand {
    @Parameters(
            index = "0",
            paramLabel = "<service/function>",
            converter = FunctionRefConverter.class)
    FunctionRef function;

    FunctionCommand(CliContext context) {
        super(context);
    }
}
