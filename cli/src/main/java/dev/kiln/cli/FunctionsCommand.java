package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.kiln.client.KilnClient;
import dev.kiln.client.KilnException;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code kiln functions [service]}: the functions the key reaches. */
@Command(
        name = "functions",
        aliases = "ls",
        mixinStandardHelpOptions = true,
        description = "List functions: of one service, or of every service the key reaches.")
final class FunctionsCommand extends ApiCommand {
    @Parameters(index = "0", arity = "0..1", paramLabel = "<service>")
    String service;

    FunctionsCommand(CliContext context) {
        super(context);
    }

    @Override
    public Integer call() {
        var out = out();
        KilnClient client = client();
        List<String> services = new ArrayList<>();
        if (service != null) {
            services.add(service);
        } else {
            client.listServices().forEach(s -> services.add(s.asText()));
        }
        ArrayNode all = Output.JSON.createArrayNode();
        for (String s : services) {
            try {
                client.listFunctions(s).forEach(all::add);
            } catch (KilnException e) {
                // A service emptied between the two calls is simply gone.
                if (service != null || !e.code().equals("service_not_found")) {
                    throw e;
                }
            }
        }
        if (json()) {
            Output.json(out, all);
            return 0;
        }
        if (all.isEmpty()) {
            out.println("No functions yet. Deploy one: kiln deploy demo/hello hello.wasm");
            out.flush();
            return 0;
        }
        List<List<String>> rows = new ArrayList<>();
        for (JsonNode f : all) {
            JsonNode settings = f.path("settings");
            rows.add(
                    List.of(
                            f.path("service").asText() + "/" + f.path("name").asText(),
                            f.path("version").path("number").asText(),
                            Output.text(settings, "abi"),
                            ProgressLine.size(f.path("version").path("sizeBytes").asLong()),
                            Output.text(f, "updatedAt")));
        }
        Output.table(out, List.of("FUNCTION", "VERSION", "ABI", "SIZE", "UPDATED"), rows);
        return 0;
    }
}
