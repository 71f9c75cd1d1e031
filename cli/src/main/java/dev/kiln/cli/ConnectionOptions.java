package dev.kiln.cli;

import picocli.CommandLine.Option;

/** Where an API command connects: {@code --profile}, {@code --endpoint}. */
final class ConnectionOptions {
    @Option(
            names = "--profile",
            paramLabel = "<name>",
            description = "Profile saved by 'kiln login' (default: $KILN_PROFILE, else 'default').")
    String profile;

    @Option(
            names = "--endpoint",
            paramLabel = "<url>",
            description =
                    "Kiln's URL (default: $KILN_ENDPOINT, the profile's, else "
                            + CliContext.DEFAULT_ENDPOINT
                            + ").")
    String endpoint;

    @Option(names = "--json", description = "Print the API's JSON instead of text, for scripts.")
    boolean json;
}
