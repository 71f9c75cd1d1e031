package dev.kiln.host.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The Kubernetes manifests and the Dockerfile are not applied here (docs/CLUSTER.md), so at least
 * every {@code kiln serve} flag they pass must exist: a renamed flag would break them silently.
 */
class DeployManifestsTest {
    private static final Pattern FLAG = Pattern.compile("(?<![\\w-])(--[a-z][a-z0-9-]+)");

    private static List<String> flags(Path file) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            String code = line.strip();
            if (code.startsWith("#")) {
                continue;
            }
            // Only the serve command's arguments: list items and the Dockerfile's CMD array.
            if (code.startsWith("- --") || code.startsWith("CMD [")) {
                Matcher m = FLAG.matcher(code);
                while (m.find()) {
                    out.add(m.group(1));
                }
            }
        }
        return out;
    }

    @Test
    void everyServeFlagInTheManifestsAndTheDockerfileExists() throws IOException {
        CommandSpec serve = KilnCli.commandLine().getSubcommands().get("serve").getCommandSpec();
        List<String> used = new ArrayList<>();
        used.addAll(flags(Path.of("..", "deploy", "kubernetes", "kiln.yaml")));
        used.addAll(flags(Path.of("..", "Dockerfile")));
        assertThat(used).contains("--cluster", "--zone", "--node-name", "--data", "--host");
        for (String flag : used) {
            assertThat(serve.findOption(flag)).as("kiln serve %s", flag).isNotNull();
        }
    }
}
