package dev.kiln.loadgen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import org.junit.jupiter.api.Test;

class LoopbackTest {
    @Test
    void acceptsLoopbackAddressesAndLocalhost() {
        assertThat(Loopback.resolve(URI.create("http://127.0.0.1:8080/x")).getPort())
                .isEqualTo(8080);
        assertThat(Loopback.resolve(URI.create("http://localhost/")).getAddress().getHostAddress())
                .isEqualTo("127.0.0.1");
        assertThat(
                        Loopback.resolve(URI.create("http://127.1.2.3:1/"))
                                .getAddress()
                                .isLoopbackAddress())
                .isTrue();
    }

    @Test
    void refusesEveryOtherHostWithoutLookingItUp() {
        for (String url :
                new String[] {
                    "http://10.0.0.1/", "http://192.168.1.1:80/", "http://example.com/",
                    "http://127.0.0.1.nip.io/", "http://[::1]:8080/", "http://0.0.0.0/",
                    "http://128.0.0.1/"
                }) {
            assertThatThrownBy(() -> Loopback.resolve(URI.create(url)))
                    .as(url)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("127.0.0.1");
        }
        assertThatThrownBy(() -> Loopback.resolve(URI.create("https://127.0.0.1/")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("http://");
    }

    @Test
    void aSpecForAnotherHostCannotBeBuilt() {
        assertThatThrownBy(() -> LoadSpec.builder(URI.create("http://10.1.1.1:80/")).build())
                .isInstanceOf(IllegalArgumentException.class);
    }
}
