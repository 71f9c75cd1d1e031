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
            CommandLine.HelpCommand.class
        })
public final class KilnCli {
    public static void main(String[] args) {
        System.exit(new CommandLine(new KilnCli()).execute(args));
    }
}
