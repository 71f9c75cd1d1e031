package dev.kiln.host.access;

import java.util.regex.Pattern;

/**
 * One service pattern of a key: a service name ({@code shop}), a prefix ending in {@code *} ({@code
 * shop-*}), or {@code *} (every service).
 */
public record ServicePattern(String text) {
    /** A service name (as the registry allows it), optionally ending in {@code *}; or {@code *}. */
    private static final Pattern FORM = Pattern.compile("\\*|[a-z0-9][a-z0-9_-]{0,62}\\*?");

    public static final ServicePattern ALL = new ServicePattern("*");

    public ServicePattern {
        if (text == null || !FORM.matcher(text).matches()) {
            throw new IllegalArgumentException("not a service pattern: " + text);
        }
    }

    public static boolean valid(String text) {
        return text != null && FORM.matcher(text).matches();
    }

    public boolean matchesAll() {
        return text.equals("*");
    }

    public boolean matches(String service) {
        if (service == null) {
            return false;
        }
        if (text.endsWith("*")) {
            return service.startsWith(text.substring(0, text.length() - 1));
        }
        return text.equals(service);
    }
}
