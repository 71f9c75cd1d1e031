package dev.kiln.host.registry;

import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import java.util.regex.Pattern;

/**
 * What selects the version an invocation runs: {@code LATEST} (the default), a version number, or
 * an alias name (docs/adr/0037).
 */
public sealed interface Qualifier {
    /** Alias names: a lowercase letter first, so they never look like a version number. */
    Pattern ALIAS_NAME = Pattern.compile("[a-z][a-z0-9_-]{0,62}");

    String LATEST_NAME = "LATEST";

    /** The newest version. */
    record Latest() implements Qualifier {
        @Override
        public String toString() {
            return LATEST_NAME;
        }
    }

    /** One version, by number. */
    record Version(int number) implements Qualifier {
        @Override
        public String toString() {
            return Integer.toString(number);
        }
    }

    /** An alias of the function. */
    record Alias(String name) implements Qualifier {
        @Override
        public String toString() {
            return name;
        }
    }

    Qualifier LATEST = new Latest();

    /**
     * Reads a qualifier as a client writes it; {@code null} or empty is {@code LATEST}.
     *
     * @throws KilnException {@code bad_request} for anything else
     */
    static Qualifier parse(String text) {
        if (text == null || text.isEmpty() || text.equals(LATEST_NAME)) {
            return LATEST;
        }
        if (text.length() <= 9 && text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            int n = Integer.parseInt(text);
            if (n >= 1) {
                return new Version(n);
            }
        }
        if (ALIAS_NAME.matcher(text).matches() && !text.equals("latest")) {
            return new Alias(text);
        }
        throw new KilnException(
                ErrorCode.BAD_REQUEST,
                "qualifier must be LATEST, a version number from 1, or an alias name matching "
                        + ALIAS_NAME.pattern());
    }
}
