package dev.kiln.host.routes;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A route's host: an exact DNS name ({@code shop.example.com}) or a wildcard ({@code
 * *.example.com}) that matches every name ending in {@code .example.com} with one label or more in
 * front ({@code a.example.com}, {@code a.b.example.com}), never {@code example.com} itself — what
 * Cloudflare Workers routes do (docs/adr/0038).
 *
 * @param suffix the exact name, or for a wildcard the part after {@code *.}
 */
public record HostPattern(String suffix, boolean wildcard) {
    /** Longest DNS name (RFC 1035), the wildcard's {@code *.} included. */
    public static final int MAX_LENGTH = 253;

    private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final Pattern ALL_DIGITS_AND_DOTS = Pattern.compile("[0-9.]+");

    /**
     * Reads a route's {@code host}: lower-cased; DNS labels of letters, digits and inner hyphens,
     * at most 63 characters each, at most {@value #MAX_LENGTH} in all; no port, no trailing dot. A
     * wildcard needs two labels after {@code *.}. IP literals and {@code localhost} are refused:
     * the host's management API stays reachable by address whatever routes say.
     *
     * @throws IllegalArgumentException with the reason (the caller names the field)
     */
    public static HostPattern parse(String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("is required");
        }
        if (text.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("is longer than " + MAX_LENGTH + " characters");
        }
        String host = text.toLowerCase(Locale.ROOT);
        boolean wildcard = host.startsWith("*.");
        String suffix = wildcard ? host.substring(2) : host;
        String[] labels = suffix.split("\\.", -1);
        for (String label : labels) {
            if (!LABEL.matcher(label).matches()) {
                throw new IllegalArgumentException(
                        "must be a DNS name such as shop.example.com or a wildcard such as"
                                + " *.example.com (labels of a-z, 0-9 and inner '-', at most 63"
                                + " characters; no port, no trailing dot, '*' only as the whole"
                                + " first label)");
            }
        }
        if (wildcard && labels.length < 2) {
            throw new IllegalArgumentException(
                    "a wildcard needs at least two labels after '*.' (*.example.com)");
        }
        if (ALL_DIGITS_AND_DOTS.matcher(suffix).matches() || suffix.equals("localhost")) {
            throw new IllegalArgumentException(
                    "may not be an IP address or localhost: requests by address always reach the"
                            + " host's own API");
        }
        return new HostPattern(suffix, wildcard);
    }

    /** Whether {@code host} (already {@linkplain RequestHost normalised}) matches. */
    public boolean matches(String host) {
        if (!wildcard) {
            return host.equals(suffix);
        }
        return host.length() > suffix.length() + 1
                && host.endsWith(suffix)
                && host.charAt(host.length() - suffix.length() - 1) == '.';
    }

    /** The pattern as written in a route ({@code *.example.com}). */
    public String text() {
        return wildcard ? "*." + suffix : suffix;
    }

    @Override
    public String toString() {
        return text();
    }
}
