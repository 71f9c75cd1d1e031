package dev.kiln.host.outbound;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;

/** Host names and IP literals as the allow list and URLs spell them. */
final class Hosts {
    private Hosts() {}

    /**
     * The canonical form of a host: a DNS name lower-cased, an IPv4 address in dotted decimal, an
     * IPv6 address (written in brackets) as {@link InetAddress#getHostAddress}. Null when it is
     * neither, including the numeric forms some resolvers accept ({@code 127.1}, {@code
     * 0x7f.0.0.1}, {@code 2130706433}): a name whose last label is a number must be a dotted quad.
     */
    static String canonical(String host) {
        InetAddress ip = literal(host);
        if (ip != null) {
            return ip.getHostAddress();
        }
        String lower = host.toLowerCase(Locale.ROOT);
        return isDomainName(lower) ? lower : null;
    }

    /** The address a host names literally ({@code 10.0.0.1}, {@code [::1]}), or null. */
    static InetAddress literal(String host) {
        if (host.startsWith("[") && host.endsWith("]") && host.length() > 2) {
            String inner = host.substring(1, host.length() - 1);
            // Hex digits, colons and dots only, with a colon: the JDK parses it as an IPv6
            // literal and never asks DNS.
            if (inner.indexOf(':') < 0
                    || !inner.chars()
                            .allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.')) {
                return null;
            }
            try {
                InetAddress a = InetAddress.getByName(inner);
                return a instanceof Inet6Address || a instanceof Inet4Address ? a : null;
            } catch (UnknownHostException e) {
                return null;
            }
        }
        if (isDottedQuad(host)) {
            String[] parts = host.split("\\.", -1);
            byte[] b = new byte[4];
            for (int i = 0; i < 4; i++) {
                b[i] = (byte) Integer.parseInt(parts[i]);
            }
            try {
                return InetAddress.getByAddress(b);
            } catch (UnknownHostException e) {
                return null; // only for a wrong length
            }
        }
        return null;
    }

    /** Four decimal numbers 0–255 separated by dots, without leading zeros. */
    static boolean isDottedQuad(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return false;
        }
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return false;
            }
            if (p.length() > 1 && p.charAt(0) == '0') {
                return false;
            }
            if (Integer.parseInt(p) > 255) {
                return false;
            }
        }
        return true;
    }

    /**
     * A lower-case DNS name: labels of 1–63 letters, digits and hyphens (not at either end), 253
     * characters at most, the last label starting with a letter (a number there would make it a
     * malformed IPv4 address).
     */
    static boolean isDomainName(String s) {
        if (s.isEmpty() || s.length() > 253) {
            return false;
        }
        String[] labels = s.split("\\.", -1);
        for (String label : labels) {
            if (label.isEmpty() || label.length() > 63) {
                return false;
            }
            if (label.charAt(0) == '-' || label.charAt(label.length() - 1) == '-') {
                return false;
            }
            for (int i = 0; i < label.length(); i++) {
                char c = label.charAt(i);
                if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
                    return false;
                }
            }
        }
        // The top label starts with a letter (RFC 1123 2.1; java.net.URI insists on it too), so
        // no name can pass for a numeric address.
        char top = labels[labels.length - 1].charAt(0);
        return top >= 'a' && top <= 'z';
    }
}
