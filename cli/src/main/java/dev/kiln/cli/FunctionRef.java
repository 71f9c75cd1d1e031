package dev.kiln.cli;

import java.util.regex.Pattern;
import picocli.CommandLine;

/** A function named on the command line as {@code service/function}. */
record FunctionRef(String service, String function) {
    // The server's rule (core.FunctionName.NAME), checked here so a typo fails before a request.
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");

    static FunctionRef parse(String text) {
        String[] parts = text.split("/", -1);
        if (parts.length != 2
                || !NAME.matcher(parts[0]).matches()
                || !NAME.matcher(parts[1]).matches()) {
            throw new CommandLine.TypeConversionException(
                    "'"
                            + text
                            + "' is not SERVICE/FUNCTION (e.g. demo/hello: lower-case letters,"
                            + " digits, '-' and '_', starting with a letter or digit)");
        }
        return new FunctionRef(parts[0], parts[1]);
    }

    @Override
    public String toString() {
        return service + "/" + function;
    }
}
