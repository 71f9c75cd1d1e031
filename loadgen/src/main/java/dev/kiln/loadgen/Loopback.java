package dev.kiln.loadgen;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;

/**
 * The one place that decides where load may go: only {@code http://} targets on 127.0.0.0/8 (or
 * {@code localhost}, taken as 127.0.0.1). A load generator pointed at someone else's machine is a
 * denial-of-service tool; this one refuses before opening a socket. No name is ever looked up.
 */
final class Loopback {
    private Loopback() {}

    /**
     * @throws IllegalArgumentException when the target is not plain HTTP on a loopback address
     */
    static InetSocketAddress resolve(URI target) {
        if (!"http".equalsIgnoreCase(target.getScheme())) {
            throw new IllegalArgumentException(
                    "only http:// targets are supported, got " + target.getScheme() + "://");
        }
        String host = target.getHost();
        if (host == null) {
            throw new IllegalArgumentException("the target " + target + " names no host");
        }
        int port = target.getPort() < 0 ? 80 : target.getPort();
        if (host.equalsIgnoreCase("localhost")) {
            return new InetSocketAddress(ipv4(127, 0, 0, 1), port);
        }
        byte[] octets = parseIpv4(host);
        if (octets == null || octets[0] != 127) {
            throw new IllegalArgumentException(
                    "refusing to send load to "
                            + host
                            + ": the load generator only targets 127.0.0.1 (loopback)");
        }
        return new InetSocketAddress(ipv4(octets), port);
    }

    /** Dotted-quad IPv4 literal, or null; never a name lookup. */
    private static byte[] parseIpv4(String host) {
        String[] parts = host.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        byte[] octets = new byte[4];
        for (int i = 0; i < 4; i++) {
            String p = parts[i];
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit)) {
                return null;
            }
            int v = Integer.parseInt(p);
            if (v > 255) {
                return null;
            }
            octets[i] = (byte) v;
        }
        return octets;
    }

    private static InetAddress ipv4(int a, int b, int c, int d) {
        return ipv4(new byte[] {(byte) a, (byte) b, (byte) c, (byte) d});
    }

    private static InetAddress ipv4(byte[] octets) {
        try {
            return InetAddress.getByAddress(octets); // a literal: no lookup happens
        } catch (UnknownHostException e) {
            throw new IllegalStateException("4 octets are always a valid address", e);
        }
    }
}
