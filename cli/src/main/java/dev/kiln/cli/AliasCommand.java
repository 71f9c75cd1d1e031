package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code kiln alias set|get|rm|list}: names pointing at versions, optionally sending a weight of
 * invocations to a second version (Function Compute's {@code additionalVersionWeight}).
 */
@Command(
        name = "alias",
        mixinStandardHelpOptions = true,
        description = "Manage a function's aliases: set, get, rm, list.")
final class AliasCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return 2;
    }

    /** The subcommands, each given the context (picocli builds them from these objects). */
    static List<Object> subcommands(CliContext context) {
        return List.of(
                new Set(context), new Get(context), new Rm(context), new ListAliases(context));
    }

    static void print(PrintWriter out, JsonNode alias, boolean json) {
        if (json) {
            Output.json(out, alias);
            return;
        }
        StringBuilder line =
                new StringBuilder(alias.path("name").asText())
                        .append(" -> version ")
                        .append(alias.path("version").asText());
        alias.path("additionalVersionWeight")
                .properties()
                .forEach(
                        e ->
                                line.append(" (+ version ")
                                        .append(e.getKey())
                                        .append(" at ")
                                        .append(e.getValue().asDouble())
                                        .append(')'));
        out.println(line);
        out.flush();
    }

    @Command(
            name = "set",
            mixinStandardHelpOptions = true,
            description = "Point an alias at a version (creates or updates it).")
    static final class Set extends FunctionCommand {
        @Parameters(index = "1", paramLabel = "<alias>")
        String alias;

        @Parameters(index = "2", paramLabel = "<version>")
        int version;

        @Option(
                names = "--additional-version",
                paramLabel = "<n>=<weight>",
                description =
                        "A second version and the share of invocations it gets (0-1), e.g. 4=0.1.")
        Map<Integer, Double> additional = Map.of();

        Set(CliContext context) {
            super(context);
        }

        @Override
        public Integer call() {
            if (additional.size() > 1) {
                throw new CliFailure(
                        "invalid_arguments", "an alias has at most one additional version", 2);
            }
            var client = client();
            int other = additional.isEmpty() ? 0 : additional.keySet().iterator().next();
            double weight = additional.isEmpty() ? 0 : additional.get(other);
            JsonNode a =
                    client.putAlias(
                            function.service(), function.function(), alias, version, other, weight);
            print(out(), a, json());
            return 0;
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true, description = "Show an alias.")
    static final class Get extends FunctionCommand {
        @Parameters(index = "1", paramLabel = "<alias>")
        String alias;

        Get(CliContext context) {
            super(context);
        }

        @Override
        public Integer call() {
            var client = client();
            print(out(), client.getAlias(function.service(), function.function(), alias), json());
            return 0;
        }
    }

    @Command(name = "rm", mixinStandardHelpOptions = true, description = "Delete an alias.")
    static final class Rm extends FunctionCommand {
        @Parameters(index = "1", paramLabel = "<alias>")
        String alias;

        Rm(CliContext context) {
            super(context);
        }

        @Override
        public Integer call() {
            var client = client();
            client.deleteAlias(function.service(), function.function(), alias);
            var out = out();
            if (json()) {
                Output.json(out, Output.JSON.createObjectNode().put("deleted", alias));
            } else {
                out.println("Deleted alias " + alias + " of " + function + ".");
                out.flush();
            }
            return 0;
        }
    }

    @Command(
            name = "list",
            aliases = "ls",
            mixinStandardHelpOptions = true,
            description = "List a function's aliases.")
    static final class ListAliases extends FunctionCommand {
        ListAliases(CliContext context) {
            super(context);
        }

        @Override
        public Integer call() {
            var client = client();
            JsonNode aliases = client.listAliases(function.service(), function.function());
            var out = out();
            if (json()) {
                Output.json(out, aliases);
                return 0;
            }
            List<JsonNode> all = new ArrayList<>();
            aliases.forEach(all::add);
            all.forEach(a -> print(out, a, false));
            return 0;
        }
    }
}
