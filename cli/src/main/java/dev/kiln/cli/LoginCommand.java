package dev.kiln.cli;

import dev.kiln.client.KilnClient;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code kiln login}: checks an endpoint and key against the host, then saves them as a profile
 * (docs/adr/0044). The key comes from {@code --token-stdin} (as {@code docker login
 * --password-stdin}), {@code KILN_TOKEN}, a prompt without echo, or {@code --token} (visible to
 * other users in the process list, so the least preferred).
 */
@Command(
        name = "login",
        mixinStandardHelpOptions = true,
        description = {
            "Save an endpoint and API key as a profile, after checking them against the host.",
            "Saved in $KILN_CONFIG_DIR/config.json (default ~/.config/kiln/config.json), mode 0600."
        })
final class LoginCommand implements Callable<Integer> {
    private final CliContext context;

    @Option(
            names = "--endpoint",
            paramLabel = "<url>",
            description =
                    "Kiln's URL (default: $KILN_ENDPOINT, the profile's, else "
                            + CliContext.DEFAULT_ENDPOINT
                            + ").")
    String endpoint;

    @Option(
            names = "--profile",
            paramLabel = "<name>",
            description = "Name to save it under (default: default).")
    String profile = Profiles.DEFAULT;

    @Option(names = "--token-stdin", description = "Read the key from standard input.")
    boolean tokenStdin;

    @Option(
            names = "--token",
            paramLabel = "<key>",
            description = "The key (prefer --token-stdin: arguments are visible to other users).")
    String token;

    @Option(names = "--json", description = "Print the saved profile as JSON (without the key).")
    boolean json;

    @Spec CommandSpec spec;

    LoginCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        Profiles profiles = context.profiles();
        Profiles.Profile saved = profiles.read().get(profile);
        String url = endpoint;
        if (url == null) {
            url = context.env("KILN_ENDPOINT");
        }
        if (url == null && saved != null) {
            url = saved.endpoint();
        }
        if (url == null) {
            url = CliContext.DEFAULT_ENDPOINT;
        }
        String key = key();
        KilnClient client = KilnClient.builder().endpoint(url).token(key).maxRetries(1).build();
        // Any key may list the services it reaches: a wrong key or endpoint fails here, unsaved.
        client.listServices();
        profiles.save(profile, new Profiles.Profile(url.replaceAll("/+$", ""), key));
        if (json) {
            var o = Output.JSON.createObjectNode();
            o.put("profile", profile).put("endpoint", url).put("file", profiles.file().toString());
            Output.json(out, o);
        } else {
            out.printf(
                    "Logged in to %s as profile '%s' (saved in %s, mode 0600).%n",
                    url, profile, profiles.file());
            out.flush();
        }
        return 0;
    }

    private String key() throws IOException {
        if (tokenStdin) {
            String text =
                    new String(context.stdin().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (text.isEmpty()) {
                throw new CliFailure("invalid_arguments", "--token-stdin read no key", 2);
            }
            return text;
        }
        if (token != null) {
            return token;
        }
        if (context.env("KILN_TOKEN") != null) {
            return context.env("KILN_TOKEN");
        }
        var console = System.console();
        if (ProgressLine.onTerminal()) {
            char[] typed = console.readPassword("API key (or the admin token): ");
            if (typed != null && typed.length > 0) {
                return new String(typed).strip();
            }
        }
        throw new CliFailure(
                "invalid_arguments",
                "no key given: use --token-stdin, KILN_TOKEN or run it on a terminal",
                2);
    }
}
