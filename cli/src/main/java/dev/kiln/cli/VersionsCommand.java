package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code kiln versions s/f}: a function's versions and the aliases on each. */
@Command(
        name = "versions",
        mixinStandardHelpOptions = true,
        description = "List a function's versions, newest last, with the aliases pointing at each.")
final class VersionsCommand extends FunctionCommand {
    VersionsCommand(CliContext context) {
        super(context);
    }

    @Override
    public Integer call() {
        var out = out();
        var client = client();
        JsonNode versions = client.listVersions(function.service(), function.function());
        if (json()) {
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
