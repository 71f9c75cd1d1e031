package dev.kiln.host.routes;

import java.util.Locale;

/** The name a request was sent to, from its {@code Host} header, in the form routes match. */
public final class RequestHost {
    private RequestHost() {}

    /**
     * The {@code Host} value without its port, lower-cased, without one trailing dot; null when
     * there is none or it cannot be a route's host (an IPv6 literal, longer than a DNS name).
     */
    public static String normalise(String header) {
        if (header == null || header.isEmpty() || header.charAt(0) == '[') {
            return null;
        }
        int colon = header.indexOf(':');
        String name = colon < 0 ? header : header.substring(0, colon);
        if (name.endsWith(".")) {
            name = name.substring(0, name.length() - 1);
        }
        if (name.isEmpty() || name.length() > HostPattern.MAX_LENGTH) {
            return null;
        }
        return name.toLowerCase(Locale.ROOT);
    }
}
