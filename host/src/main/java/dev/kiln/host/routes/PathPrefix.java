package dev.kiln.host.routes;

import java.util.regex.Pattern;

/**
 * A route's path prefix. It matches whole segments of the request's path as sent (still
 * percent-encoded): {@code /api} matches {@code /api}, {@code /api/} and {@code /api/users}, never
 * {@code /apix}; {@code /} matches every path (docs/adr/0038).
 */
public final class PathPrefix {
    /** Longest prefix, in characters (all ASCII). */
    public static final int MAX_LENGTH = 1024;

    /**
     * Segments of RFC 3986 {@code pchar}s without {@code %}: a prefix names a path the way clients
     * send it, so an encoded form of it could never match. Empty segments are refused below.
     */
    private static final Pattern SEGMENTS = Pattern.compile("(/[A-Za-z0-9._~!$&'()*+,;=:@-]+)+|/");

    private PathPrefix() {}

    /**
     * Checks a route's {@code pathPrefix}: starts with {@code /}; no empty, {@code .} or {@code ..}
     * segment, no trailing {@code /} (except {@code /} itself), no {@code %}, {@code ?} or {@code
     * #}; at most {@value #MAX_LENGTH} characters.
     *
     * @throws IllegalArgumentException with the reason (the caller names the field)
     */
    public static String check(String prefix) {
        if (prefix == null || prefix.isEmpty()) {
            throw new IllegalArgumentException("is required");
        }
        if (prefix.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("is longer than " + MAX_LENGTH + " characters");
        }
        if (prefix.charAt(0) != '/') {
            throw new IllegalArgumentException("must start with '/'");
        }
        if (prefix.length() > 1 && prefix.endsWith("/")) {
            throw new IllegalArgumentException(
                    "must not end with '/' (a prefix matches whole segments: /api covers"
                            + " /api/...)");
        }
        if (prefix.contains("//")) {
            throw new IllegalArgumentException("must not contain an empty segment ('//')");
        }
        for (String segment : prefix.substring(1).split("/", -1)) {
            if (segment.equals(".") || segment.equals("..")) {
                throw new IllegalArgumentException("must not contain '.' or '..' segments");
            }
        }
        if (!SEGMENTS.matcher(prefix).matches()) {
            throw new IllegalArgumentException(
                    "may hold only letters, digits and - . _ ~ ! $ & ' ( ) * + , ; = : @ between"
                            + " '/'s (no percent-encoding, no '?' or '#')");
        }
        return prefix;
    }

    /**
     * The rest of {@code path} after {@code prefix} when the prefix matches it (whole segments),
     * else null. The rest starts with {@code /}: {@code /} when the path is the prefix itself.
     */
    static String rest(String prefix, String path) {
        if (prefix.equals("/")) {
            return path;
        }
        if (!path.startsWith(prefix)) {
            return null;
        }
        if (path.length() == prefix.length()) {
            return "/";
        }
        return path.charAt(prefix.length()) == '/' ? path.substring(prefix.length()) : null;
    }
}
