package dev.kiln.host.outbound;

import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import java.util.Locale;

/**
 * One entry of a function's {@code allowedOutboundHosts}, in Spin's shape {@code
 * scheme://host[:port]} (docs/adr/0040):
 *
 * <ul>
 *   <li>scheme {@code http}, {@code https} or {@code *} (either);
 *   <li>host a DNS name, an IPv4 address, an IPv6 address in brackets, {@code *.} followed by a
 *       name (any name ending in {@code .name}, not the name itself) or {@code *} (any host);
 *   <li>port a number, {@code *} (any), or absent: the scheme's default (80, 443; for {@code *}
 *       whichever the URL's scheme has);
 *   <li>nothing else: no path (one trailing {@code /} is allowed), query, user info or spaces.
 * </ul>
 *
 * Names and schemes are compared case-insensitively (stored lower-case); IP addresses in their
 * canonical form, so {@code [::1]} and {@code [0:0:0:0:0:0:0:1]} are the same host.
 *
 * @param scheme {@code http}, {@code https} or {@code *}
 * @param kind how {@code host} matches
 * @param host the literal host, the domain after {@code *.}, or empty for any host
 * @param port a port, {@link #ANY_PORT} or {@link #DEFAULT_PORT}
 */
public record AllowedHost(String scheme, Kind kind, String host, int port) {
    /** Longest entry, in characters. */
    public static final int MAX_CHARS = 300;

    /** {@link #port} of {@code :*}. */
    public static final int ANY_PORT = -1;

    /** {@link #port} when none is given: the URL scheme's default port. */
    public static final int DEFAULT_PORT = 0;

    /** How an entry's host matches a URL's host. */
    public enum Kind {
        /** {@code *}: every host. */
        ANY,
        /** {@code *.example.com}: every name ending in {@code .example.com}. */
        SUBDOMAINS,
        /** {@code example.com}, {@code 10.0.0.1}, {@code [::1]}: that host only. */
        LITERAL
    }

    /**
     * Reads one entry.
     *
     * @throws KilnException {@code invalid_outbound_host} naming what is wrong
     */
    public static AllowedHost parse(String text) {
        if (text == null || text.isEmpty() || text.length() > MAX_CHARS) {
            throw bad(text, "must be 1 to " + MAX_CHARS + " characters");
        }
        int sep = text.indexOf("://");
        if (sep < 0) {
            throw bad(text, "must look like scheme://host[:port]");
        }
        String scheme = text.substring(0, sep).toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") && !scheme.equals("*")) {
            throw bad(text, "scheme must be http, https or *");
        }
        String rest = text.substring(sep + 3);
        if (rest.endsWith("/")) {
            rest = rest.substring(0, rest.length() - 1);
        }
        for (int i = 0; i < rest.length(); i++) {
            char c = rest.charAt(i);
            if (c == '/' || c == '?' || c == '#' || c == '@' || c <= ' ' || c >= 0x7F) {
                throw bad(text, "may hold only scheme://host[:port]: no path, query or user info");
            }
        }
        String hostText;
        String portText;
        if (rest.startsWith("[")) {
            int end = rest.indexOf(']');
            if (end < 0) {
                throw bad(text, "has an unclosed [");
            }
            hostText = rest.substring(0, end + 1);
            String after = rest.substring(end + 1);
            if (!after.isEmpty() && !after.startsWith(":")) {
                throw bad(text, "has something after ] that is not :port");
            }
            portText = after.isEmpty() ? null : after.substring(1);
        } else {
            int colon = rest.lastIndexOf(':');
            hostText = colon < 0 ? rest : rest.substring(0, colon);
            portText = colon < 0 ? null : rest.substring(colon + 1);
        }
        return new AllowedHost(
                scheme, kindOf(text, hostText), hostOf(text, hostText), port(text, portText));
    }

    private static Kind kindOf(String text, String host) {
        if (host.equals("*")) {
            return Kind.ANY;
        }
        if (host.startsWith("*.")) {
            return Kind.SUBDOMAINS;
        }
        if (host.contains("*")) {
            throw bad(text, "wildcards are allowed only as a leading *. or as the whole host");
        }
        return Kind.LITERAL;
    }

    private static String hostOf(String text, String host) {
        if (host.equals("*")) {
            return "";
        }
        if (host.startsWith("*.")) {
            String domain = host.substring(2).toLowerCase(Locale.ROOT);
            if (!Hosts.isDomainName(domain)) {
                throw bad(text, "'" + domain + "' after *. is not a DNS name");
            }
            return domain;
        }
        String canonical = Hosts.canonical(host);
        if (canonical == null) {
            throw bad(text, "'" + host + "' is not a DNS name or an IP address");
        }
        return canonical;
    }

    private static int port(String text, String port) {
        if (port == null) {
            return DEFAULT_PORT;
        }
        if (port.equals("*")) {
            return ANY_PORT;
        }
        if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(Character::isDigit)) {
            throw bad(text, "port must be a number from 1 to 65535 or *");
        }
        int p = Integer.parseInt(port);
        if (p < 1 || p > 65535) {
            throw bad(text, "port must be a number from 1 to 65535 or *");
        }
        return p;
    }

    /** Whether a request to {@code url} is allowed by this entry. */
    public boolean matches(OutboundUrl url) {
        if (!scheme.equals("*") && !scheme.equals(url.scheme())) {
            return false;
        }
        boolean portOk =
                switch (port) {
                    case ANY_PORT -> true;
                    case DEFAULT_PORT -> url.port() == OutboundUrl.defaultPort(url.scheme());
                    default -> url.port() == port;
                };
        if (!portOk) {
            return false;
        }
        return switch (kind) {
            case ANY -> true;
            case SUBDOMAINS -> url.address() == null && url.host().endsWith("." + host);
            case LITERAL -> url.host().equals(host);
        };
    }

    /** Whether this entry names its host literally (it may then be a non-public address). */
    public boolean literal() {
        return kind == Kind.LITERAL;
    }

    private static KilnException bad(String text, String why) {
        String shown =
                text == null ? "null" : text.length() > 80 ? text.substring(0, 80) + "…" : text;
        return new KilnException(
                ErrorCode.INVALID_OUTBOUND_HOST,
                "allowedOutboundHosts entry '" + printable(shown) + "' " + why);
    }

    /** The text with control characters replaced, safe to echo in an error message. */
    private static String printable(String s) {
        StringBuilder b = new StringBuilder(s.length());
        s.codePoints().forEach(c -> b.appendCodePoint(Character.isISOControl(c) ? '?' : c));
        return b.toString();
    }
}
