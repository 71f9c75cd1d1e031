package dev.kiln.host.outbound;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * Which addresses a guest may reach without an allow-list entry naming the host literally: public
 * unicast ones. Refused: loopback, unspecified ({@code 0.0.0.0}, {@code ::}), link-local (with the
 * cloud metadata address {@code 169.254.169.254}), private (RFC 1918, unique local {@code
 * fc00::/7}, the old site-local {@code fec0::/10}), shared address space ({@code 100.64.0.0/10}),
 * IETF protocol assignments, documentation and benchmarking ranges, multicast, reserved and
 * broadcast; and IPv6 addresses that carry an IPv4 address (mapped, compatible, NAT64, 6to4) when
 * that one is refused.
 */
public final class PublicAddresses {
    private PublicAddresses() {}

    /** Whether {@code a} is a public unicast address. */
    public static boolean isPublic(InetAddress a) {
        byte[] b = a.getAddress();
        if (a instanceof Inet4Address) {
            return isPublic4(b, 0);
        }
        if (a instanceof Inet6Address) {
            return isPublic6(b);
        }
        return false;
    }

    private static boolean isPublic4(byte[] b, int at) {
        int b0 = b[at] & 0xFF;
        int b1 = b[at + 1] & 0xFF;
        int b2 = b[at + 2] & 0xFF;
        return !(b0 == 0 // "this network", 0.0.0.0
                || b0 == 10 // RFC 1918
                || (b0 == 100 && (b1 & 0xC0) == 64) // shared address space (CGNAT)
                || b0 == 127 // loopback
                || (b0 == 169 && b1 == 254) // link-local, cloud metadata
                || (b0 == 172 && (b1 & 0xF0) == 16) // RFC 1918
                || (b0 == 192 && b1 == 0 && b2 == 0) // IETF protocol assignments
                || (b0 == 192 && b1 == 0 && b2 == 2) // TEST-NET-1
                || (b0 == 192 && b1 == 88 && b2 == 99) // 6to4 relay anycast (deprecated)
                || (b0 == 192 && b1 == 168) // RFC 1918
                || (b0 == 198 && (b1 & 0xFE) == 18) // benchmarking
                || (b0 == 198 && b1 == 51 && b2 == 100) // TEST-NET-2
                || (b0 == 203 && b1 == 0 && b2 == 113) // TEST-NET-3
                || b0 >= 224); // multicast, reserved, broadcast
    }

    private static boolean isPublic6(byte[] b) {
        boolean zero10 = true;
        for (int i = 0; i < 10 && zero10; i++) {
            zero10 = b[i] == 0;
        }
        if (zero10 && (b[10] & 0xFF) == 0xFF && (b[11] & 0xFF) == 0xFF) {
            return isPublic4(b, 12); // IPv4-mapped ::ffff:a.b.c.d
        }
        if (zero10 && b[10] == 0 && b[11] == 0) {
            return false; // ::, ::1 and the deprecated IPv4-compatible ::a.b.c.d
        }
        int w0 = ((b[0] & 0xFF) << 8) | (b[1] & 0xFF);
        int w1 = ((b[2] & 0xFF) << 8) | (b[3] & 0xFF);
        if (w0 == 0x64 && w1 == 0xff9b) {
            return isPublic4(b, 12); // NAT64 64:ff9b::/96 (and the local-use 64:ff9b:1::/48)
        }
        if (w0 == 0x2002) {
            return isPublic4(b, 2); // 6to4 carries an IPv4 address in bits 16-47
        }
        if (w0 == 0x2001 && w1 == 0) {
            return false; // Teredo: its IPv4 address is obfuscated; no public need to reach it
        }
        if (w0 == 0x2001 && w1 == 0x0db8) {
            return false; // documentation
        }
        if (w0 == 0x0100 && w1 == 0 && b[4] == 0 && b[5] == 0 && b[6] == 0 && b[7] == 0) {
            return false; // discard-only 100::/64
        }
        return !((b[0] & 0xFE) == 0xFC // unique local fc00::/7
                || ((b[0] & 0xFF) == 0xFE && (b[1] & 0xC0) == 0x80) // link-local fe80::/10
                || ((b[0] & 0xFF) == 0xFE && (b[1] & 0xC0) == 0xC0) // site-local fec0::/10
                || (b[0] & 0xFF) == 0xFF); // multicast
    }
}
