package dev.kiln.cli;

import dev.kiln.host.cli.KilnCli;
import dev.kiln.host.cli.LogFormat;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;

/**
 * The {@code kiln} command ({@code ./kiln}, the distribution's {@code bin/kiln}): the server's
 * commands from {@code host} (serve, new, bench, secrets) and the API's commands here, on the Java
 * client (login, deploy, invoke, logs, functions, versions, alias, rm, dev; docs/adr/0044).
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        CliContext context = CliContext.system();
        LogFormat.choose(args, System.getenv(), LogFormat.onTerminal());
        System.exit(commandLine(context).execute(args));
    }

    /** The whole command line; its out and err print to the context's stdout and System.err. */
    public static CommandLine commandLine(CliContext context) {
        CommandLine cli = KilnCli.commandLine();
        for (Object command :
                new Object[] {
                    new LoginCommand(context),
                    new DeployCommand(context),
                    new InvokeCommand(context),
                    new LogsCommand(context),
                    new FunctionsCommand(context),
                    new VersionsCommand(context),
                    new RmCommand(context),
                    new DevCommand(context)
                }) {
            cli.addSubcommand(command);
        }
        CommandLine alias = new CommandLine(new AliasCommand());
        for (Object sub : AliasCommand.subcommands(context)) {
            alias.addSubcommand(sub);
        }
        cli.addSubcommand(alias);
        cli.setOut(
                new PrintWriter(
                        new java.io.OutputStreamWriter(context.stdout(), StandardCharsets.UTF_8),
                        true));
        cli.setExecutionExceptionHandler(new ErrorLine(context.env("KILN_DEBUG") != null));
        cli.setParameterExceptionHandler(ErrorLine.forParameters());
        return cli;
    }
}
