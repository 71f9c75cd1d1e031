package dev.kiln.host.outbound;

import dev.kiln.abi.OutboundException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * A guest's URL as the host sends it: absolute {@code http} or {@code https}, printable ASCII (the
 * guest percent-encodes anything else), no user info; the fragment is dropped.
 *
 * @param scheme {@code http} or {@code https}
 * @param host the canonical host ({@link Hosts#canonical}): a lower-case name or an IP address
 * @param address the address when the host is an IP literal, else null (the name is resolved)
 * @param port the port, the scheme's default when the URL names none
 * @param target the request target: raw path ({@code /} when empty) and {@code ?query}
 */
public record OutboundUrl(
        String scheme, String host, InetAddress address, int port, String target) {

    /**
     * Reads a URL.
     *
     * @throws OutboundException {@code INVALID_URL} naming what is wrong
     */
    @SuppressWarnings("UnusedException") // the guest gets a code and our message, nothing more
    public static OutboundUrl parse(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c <= ' ' || c >= 0x7F) {
                throw invalid("the URL must be printable ASCII (percent-encode the rest)");
            }
        }
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw invalid("the URL does not parse");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw invalid("the URL's scheme must be http or https");
        }
        if (uri.isOpaque() || uri.getRawUserInfo() != null) {
            throw invalid("the URL must be scheme://host[:port]/path with no user info");
        }
        String rawHost = uri.getHost();
        if (rawHost == null || rawHost.isEmpty()) {
            throw invalid("the URL has no host the host can use");
        }
        InetAddress address = Hosts.literal(rawHost);
        String host = Hosts.canonical(rawHost);
        if (host == null) {
            throw invalid("the URL's host is not a DNS name or an IP address");
        }
        int port = uri.getPort() == -1 ? defaultPort(scheme) : uri.getPort();
        if (port < 1 || port > 65535) {
            throw invalid("the URL's port must be 1 to 65535");
        }
        String path =
                uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        String target = uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
        return new OutboundUrl(scheme, host, address, port, target);
    }

    /** 80 for http, 443 for https. */
    public static int defaultPort(String scheme) {
        return scheme.equals("https") ? 443 : 80;
    }

    public boolean https() {
        return scheme.equals("https");
    }

    /** The host as a URL and the {@code Host} header write it: IPv6 addresses in brackets. */
    String hostForUrl() {
        return host.indexOf(':') >= 0 ? "[" + host + "]" : host;
    }

    /** The {@code Host} header's value: the port only when it is not the scheme's default. */
    String authority() {
        return port == defaultPort(scheme) ? hostForUrl() : hostForUrl() + ":" + port;
    }

    /** {@code scheme://host:port}, for log lines. */
    public String origin() {
        return scheme + "://" + hostForUrl() + ":" + port;
    }

    private static OutboundException invalid(String why) {
        return new OutboundException(OutboundException.Kind.INVALID_URL, why);
    }
}
