package dev.kiln.host.outbound;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which resolved addresses a guest reaches without a literal allow-list entry. */
class PublicAddressesTest {
    private static boolean isPublic(String literal) throws UnknownHostException {
        return PublicAddresses.isPublic(InetAddress.getByName(literal));
    }

    @Test
    void loopbackPrivateLinkLocalAndSpecialAddressesAreNotPublic() throws Exception {
        for (String a :
                List.of(
                        "127.0.0.1",
                        "127.255.0.9",
                        "0.0.0.0",
                        "10.1.2.3",
                        "172.16.0.1",
                        "172.31.255.255",
                        "192.168.1.1",
                        "169.254.169.254",
                        "100.64.0.1",
                        "192.0.0.8",
                        "198.18.0.1",
                        "224.0.0.1",
                        "255.255.255.255",
                        "::",
                        "::1",
                        "fe80::1",
                        "fc00::1",
                        "fd12:3456::1",
                        "fec0::1",
                        "ff02::1",
                        "::ffff:127.0.0.1",
                        "::ffff:169.254.169.254",
                        "64:ff9b::a9fe:a9fe",
                        "2002:7f00:1::1",
                        "2001:db8::1")) {
            assertThat(isPublic(a)).as(a).isFalse();
        }
    }

    @Test
    void publicUnicastAddressesArePublic() throws Exception {
        for (String a :
                List.of(
                        "1.1.1.1",
                        "8.8.8.8",
                        "172.15.0.1",
                        "172.32.0.1",
                        "100.128.0.1",
                        "2606:4700:4700::1111",
                        "::ffff:8.8.8.8",
                        "64:ff9b::808:808")) {
            assertThat(isPublic(a)).as(a).isTrue();
        }
    }
}
