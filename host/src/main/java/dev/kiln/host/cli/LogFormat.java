package dev.kiln.host.cli;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How the server logs: {@code text} (one readable line per event) on a terminal, {@code json} (one
 * object per line, for collectors) elsewhere; {@code --log-format} or {@code KILN_LOG_FORMAT}
 * choose. logback.xml picks its appender from the property {@code KILN_LOG_FORMAT}, read when the
 * first logger is made — before picocli has parsed anything — so the launchers call {@link #choose}
 * first thing.
 */
public final class LogFormat {
    static final String PROPERTY = "KILN_LOG_FORMAT";
    static final List<String> CHOICES = List.of("auto", "text", "json");

    private LogFormat() {}

    /**
     * Sets the property from {@code --log-format} in {@code args}, else {@code KILN_LOG_FORMAT},
     * else by whether stderr is a terminal. A value that is none of {@link #CHOICES} is left for
     * picocli to refuse.
     */
    public static void choose(String[] args, Map<String, String> env, boolean terminal) {
        String chosen = flag(args);
        if (chosen == null) {
            chosen = env.get(PROPERTY);
        }
        chosen = chosen == null ? "auto" : chosen.toLowerCase(Locale.ROOT);
        if (!CHOICES.contains(chosen)) {
            return;
        }
        if (chosen.equals("auto")) {
            chosen = terminal ? "text" : "json";
        }
        System.setProperty(PROPERTY, chosen.toUpperCase(Locale.ROOT));
    }

    private static String flag(String[] args) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--")) {
                return null;
            }
            if (args[i].equals("--log-format") && i + 1 < args.length) {
                return args[i + 1];
            }
            if (args[i].startsWith("--log-format=")) {
                return args[i].substring("--log-format=".length());
            }
        }
        return null;
    }

    /** Whether stderr is most likely a terminal (JDK 22+ says so; 21 has a console only then). */
    @SuppressWarnings("SystemConsoleNull") // null is one of the answers
    public static boolean onTerminal() {
        java.io.Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException e) {
            return true;
        }
    }
}
