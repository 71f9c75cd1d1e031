package dev.kiln.host.routes;

import java.util.regex.Pattern;

/**
 * What a route runs of its function: {@code LATEST} (the default), a version number, or an alias
 * name, as in Function Compute's custom-domain route config. Only its form is checked here; which
 * version it selects is decided per request (see {@code HttpTriggerHandler}'s qualifier plug-in
 * point), so a route may name an alias before it exists.
 */
public final class Qualifier {
    public static final String LATEST = "LATEST";

    /** Function Compute's alias name rule; never all digits, so never taken for a version. */
    private static final Pattern ALIAS = Pattern.compile("[A-Za-z_][A-Za-z0-9_-]{0,127}");

    private static final Pattern VERSION = Pattern.compile("[1-9][0-9]{0,9}");

    private Qualifier() {}

    /**
     * The qualifier to store: {@code LATEST} when absent.
     *
     * @throws IllegalArgumentException with the reason (the caller names the field)
     */
    public static String check(String qualifier) {
        if (qualifier == null) {
            return LATEST;
        }
        if (VERSION.matcher(qualifier).matches()
                && Long.parseLong(qualifier) <= Integer.MAX_VALUE) {
            return qualifier;
        }
        if (ALIAS.matcher(qualifier).matches()) {
            return qualifier;
        }
        throw new IllegalArgumentException(
                "must be LATEST, a version number (1 to "
                        + Integer.MAX_VALUE
                        + ") or an alias name ([A-Za-z_][A-Za-z0-9_-]{0,127})");
    }

    public static boolean isLatest(String qualifier) {
        return LATEST.equals(qualifier);
    }
}
