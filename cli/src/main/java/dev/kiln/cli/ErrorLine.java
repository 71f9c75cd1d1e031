package dev.kiln.cli;

import dev.kiln.client.KilnException;
import java.io.IOException;
import java.io.UncheckedIOException;
import picocli.CommandLine;

/**
 * Every failure of a command as one line, {@code error: <code>: <message>}, and a non-zero exit:
 * never a stack trace (set {@code KILN_DEBUG=1} for one).
 */
final class ErrorLine implements CommandLine.IExecutionExceptionHandler {
    private final boolean debug;

    ErrorLine(boolean debug) {
        this.debug = debug;
    }

    @Override
    public int handleExecutionException(
            Exception ex, CommandLine command, CommandLine.ParseResult parseResult) {
        if (debug) {
            ex.printStackTrace(command.getErr());
        }
        command.getErr().println(describe(ex));
        command.getErr().flush();
        return ex instanceof CliFailure f ? f.exitCode() : 1;
    }

    static String describe(Throwable ex) {
        String line =
                switch (ex) {
                    case KilnException k ->
                            k.code()
                                    + ": "
                                    + k.apiMessage()
                                    + (k.requestId() == null
                                            ? ""
                                            : " (request " + k.requestId() + ")");
                    case CliFailure f -> f.code() + ": " + f.getMessage();
                    case UncheckedIOException u -> "io: " + message(u.getCause());
                    case IOException io -> "io: " + message(io);
                    case IllegalArgumentException bad -> "invalid_arguments: " + bad.getMessage();
                    case InterruptedException i -> "interrupted: stopped";
                    default -> "internal: " + message(ex);
                };
        return "error: " + line.replaceAll("\\s*[\\r\\n]+\\s*", " ");
    }

    private static String message(Throwable t) {
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    /** A bad flag or argument: one line naming the command's help, exit 2. */
    static CommandLine.IParameterExceptionHandler forParameters() {
        return (ex, args) -> {
            CommandLine cmd = ex.getCommandLine();
            cmd.getErr()
                    .println(
                            "error: invalid_arguments: "
                                    + ex.getMessage().replaceAll("\\s*[\\r\\n]+\\s*", " ")
                                    + " (see '"
                                    + cmd.getCommandSpec().qualifiedName()
                                    + " --help')");
            cmd.getErr().flush();
            return 2;
        };
    }
}
