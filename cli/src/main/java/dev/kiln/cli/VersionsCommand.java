package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code kiln versions s/f}: a function's versions and the aliases on each. */
@Command(
        name = "versions",
        mixinStandardHelpOptions = true,
        description = "List a function's versions, newest last, with the aliases pointing at each.")
final class VersionsCommand implements Callable<Integer> {
    private final CliContext context;

    @Parameters(
            index = "0",
            paramLabel = "<service/function>",
            converter = FunctionRefConverter.class)
    FunctionRef function;

    @Mixin ConnectionOptions connection;
    @Spec CommandSpec spec;

    VersionsCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        var out = spec.commandLine().getOut();
        var client = context.client(connection, spec.commandLine().getErr());
        JsonNode versions = client.listVersions(function.service(), function.function());
        if (connection.json) {
            Output.json(out, versions);
            return 0;
        }
        JsonNode aliasList = client.listAliases(function.service(), function.function());
        int latest = 0;
        for (JsonNode v : versions) {
            latest = Math.max(latest, v.path("number").asInt());
        }
        List<List<String>> rows = new ArrayList<>();
        for (JsonNode v : versions) {
            int number = v.path("number").asInt();
            List<String> aliases = new ArrayList<>();
            if (number == latest) {
                aliases.add("LATEST");
            }
            for (JsonNode a : aliasList) {
                if (a.path("version").asInt() == number) {
                    aliases.add(a.path("name").asText());
                }
                if (a.path("additionalVersionWeight").has(Integer.toString(number))) {
                    aliases.add(
                            a.path("name").asText()
                                    + "("
                                    + a.path("additionalVersionWeight")
                                            .path(Integer.toString(number))
                                            .asDouble()
                                    + ")");
                }
            }
            rows.add(
                    List.of(
                            v.path("number").asText(),
                            v.path("sha256")
                                    .asText()
                                    .substring(0, Math.min(12, v.path("sha256").asText().length())),
                            ProgressLine.size(v.path("sizeBytes").asLong()),
                            Output.text(v, "createdAt"),
                            aliases.isEmpty() ? "-" : String.join(",", aliases)));
        }
        Output.table(out, List.of("VERSION", "SHA256", "SIZE", "CREATED", "ALIASES"), rows);
        return 0;
    }
}
