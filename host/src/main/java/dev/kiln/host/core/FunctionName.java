package dev.kiln.host.core;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A function's full name: its service and its name within the service, written {@code
 * service/function} everywhere Kiln shows or stores it as one string (map keys, metrics labels,
 * event sources, the triggers table's owner column).
 *
 * <p>The constructor only refuses nulls: names read back from storage or taken from a URL path for
 * a lookup need not be checked (a lookup of a malformed name simply finds nothing). Names about to
 * be created go through {@link #checkName}, the registry's rule.
 */
public record FunctionName(String service, String function) implements Comparable<FunctionName> {

    /** What a service or function name may be: the registry's rule for new names. */
    public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");

    public FunctionName {
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(function, "function");
    }

    /** Whether {@code name} may be a service or function name. */
    public static boolean isValidName(String name) {
        return name != null && NAME.matcher(name).matches();
    }

    /**
     * Refuses a service or function name outside {@link #NAME} with {@code bad_request}.
     *
     * @param what {@code service} or {@code function}, for the message
     */
    public static void checkName(String what, String name) {
        if (!isValidName(name)) {
            throw new KilnException(
                    ErrorCode.BAD_REQUEST,
                    what
                            + " name '"
                            + (name == null ? "" : name.replaceAll("[^\\x20-\\x7e]", "?"))
                            + "' must match "
                            + NAME.pattern());
        }
    }

    /** A name whose both parts follow {@link #NAME}, else {@code bad_request}. */
    public static FunctionName checked(String service, String function) {
        checkName("service", service);
        checkName("function", function);
        return new FunctionName(service, function);
    }

    /**
     * Reads {@code service/function}: exactly one slash, both parts following {@link #NAME}.
     *
     * @throws KilnException {@code bad_request} for anything else
     */
    public static FunctionName parse(String text) {
        int slash = text == null ? -1 : text.indexOf('/');
        if (slash < 0) {
            throw new KilnException(
                    ErrorCode.BAD_REQUEST,
                    "a function name must be written service/function, got '"
                            + (text == null ? "" : text.replaceAll("[^\\x20-\\x7e]", "?"))
                            + "'");
        }
        return checked(text.substring(0, slash), text.substring(slash + 1));
    }

    /** {@code service/function}. */
    @Override
    public String toString() {
        return service + "/" + function;
    }

    /**
     * Orders as the {@code service/function} strings do, so listings sorted by this name keep the
     * order they had when the key was that string ({@code a-b/x} before {@code a/x}).
     */
    @Override
    public int compareTo(FunctionName other) {
        return toString().compareTo(other.toString());
    }
}
