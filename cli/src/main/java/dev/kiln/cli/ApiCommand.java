package dev.kiln.cli;

import dev.kiln.client.KilnClient;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A command that talks to a Kiln host: the connection options ({@code --endpoint}, {@code --key},
 * {@code --profile}, {@code --json}) and the client they make. Picocli reads the annotated fields
 * of a superclass too, so a subclass declares only its own arguments.
 */
abstract class ApiCommand implements Callable<Integer> {
    private final CliContext context;

    @Mixin ConnectionOptions connection;
    @Spec CommandSpec spec;

    ApiCommand(CliContext context) {
        this.context = context;
    }

    KilnClient client() {
        return context.client(connection, spec.commandLine().getErr());
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    /** Whether {@code --json} asked for machine-readable output. */
    boolean json() {
        return connection.json;
    }
}
