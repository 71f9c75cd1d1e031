package dev.kiln.host.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code kiln} command. */
@Command(
        name = "kiln",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Kiln: a WebAssembly function host.",
        subcommands = {
            ServeCommand.class,
            NewCommand.class,
            BenchCommand.class,
            SecretsCommand.class,
            ReplayCommand.class,
            TrainingRunCommand.class,
            CommandLine.HelpCommand.class
        })
public final class KilnCli {
    public static void main(String[] args) {
        LogFormat.choose(args, System.getenv(), LogFormat.onTerminal());
        System.exit(commandLine().execute(args));
    }

    /**
     * The server's commands (serve, new, bench, secrets, help), for a launcher that adds its own:
     * the {@code cli} module adds the API's commands (login, deploy, invoke...; docs/adr/0044).
     */
    public static CommandLine commandLine() {
        return new CommandLine(new KilnCli());
    }
}
