package dev.kiln.host.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import java.util.List;
import java.util.Locale;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * The {@code allowedOutboundHosts} matcher (docs/adr/0040): examples of Spin's shape, and
 * properties over generated names, ports and schemes.
 */
class AllowedHostPropertiesTest {
    private static boolean allows(String entry, String url) {
        return AllowedHost.parse(entry).matches(OutboundUrl.parse(url));
    }

    @Example
    void subdomainWildcardsMatchSubdomainsOnly() {
        String e = "https://*.example.com";
        assertThat(allows(e, "https://api.example.com/v1")).isTrue();
        assertThat(allows(e, "https://a.b.example.com")).isTrue();
        assertThat(allows(e, "https://API.Example.COM")).isTrue();
        assertThat(allows(e, "https://example.com")).isFalse();
        assertThat(allows(e, "https://evilexample.com")).isFalse();
        assertThat(allows(e, "https://example.com.evil.net")).isFalse();
        assertThat(allows(e, "http://api.example.com")).isFalse();
        assertThat(allows(e, "https://api.example.com:8443")).isFalse();
    }

    @Example
    void portsAndSchemes() {
        assertThat(allows("http://127.0.0.1:8081", "http://127.0.0.1:8081/x")).isTrue();
        assertThat(allows("http://127.0.0.1:8081", "http://127.0.0.1:8082/x")).isFalse();
        assertThat(allows("http://127.0.0.1:8081", "https://127.0.0.1:8081/x")).isFalse();
        assertThat(allows("*://example.com", "http://example.com")).isTrue();
        assertThat(allows("*://example.com", "https://example.com")).isTrue();
        assertThat(allows("*://example.com", "http://example.com:443")).isFalse();
        assertThat(allows("https://example.com:*", "https://example.com:9999")).isTrue();
        assertThat(allows("https://example.com/", "https://example.com/deep/path?q=1")).isTrue();
        assertThat(allows("http://[::1]:80", "http://[0:0:0:0:0:0:0:1]/")).isTrue();
        assertThat(allows("https://*:*", "https://10.0.0.1:1")).isTrue();
        // A subdomain wildcard never matches an address.
        assertThat(allows("http://*.example.com", "http://10.0.0.1")).isFalse();
    }

    @Example
    void malformedEntriesAreRefusedWithTheStableCode() {
        for (String bad :
                List.of(
                        "",
                        "example.com",
                        "ftp://example.com",
                        "https://exa*mple.com",
                        "https://*.*.example.com",
                        "https://example.com/path",
                        "https://example.com?q",
                        "https://user@example.com",
                        "https://example.com:0",
                        "https://example.com:65536",
                        "https://example.com:8a",
                        "https://10.0.0.0/8",
                        "https://127.1",
                        "https://0x7f.0.0.1",
                        "https://-bad.example.com",
                        "https://exa mple.com",
                        "https://[::1",
                        "https://[zz::1]")) {
            assertThatThrownBy(() -> AllowedHost.parse(bad))
                    .as(bad)
                    .isInstanceOfSatisfying(
                            KilnException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_OUTBOUND_HOST));
        }
    }

    @Provide
    Arbitrary<String> labels() {
        return Arbitraries.strings()
                .withCharRange('a', 'z')
                .withChars('0', '9', '-')
                .ofMinLength(1)
                .ofMaxLength(12)
                .filter(l -> !l.startsWith("-") && !l.endsWith("-"))
                .filter(l -> !l.chars().allMatch(Character::isDigit));
    }

    @Provide
    Arbitrary<List<String>> names() {
        // A DNS name's top label starts with a letter.
        return labels().list()
                .ofMinSize(1)
                .ofMaxSize(4)
                .filter(l -> Character.isLetter(l.get(l.size() - 1).charAt(0)));
    }

    @Property
    void aSubdomainWildcardMatchesExactlyTheNamesEndingInDotDomain(
            @ForAll("names") List<String> domain, @ForAll("names") List<String> host) {
        String d = String.join(".", domain);
        String h = String.join(".", host);
        boolean expected = h.endsWith("." + d);
        assertThat(allows("https://*." + d, "https://" + h + "/")).isEqualTo(expected);
        // ... and under the wildcard, any label put in front matches.
        assertThat(allows("https://*." + d, "https://" + h + "." + d + "/")).isTrue();
    }

    @Property
    void aLiteralEntryMatchesItsHostAndPortOnly(
            @ForAll("names") List<String> name,
            @ForAll @IntRange(min = 1, max = 65535) int port,
            @ForAll @IntRange(min = 1, max = 65535) int other,
            @ForAll("names") List<String> otherName) {
        String h = String.join(".", name);
        String entry = "http://" + h + ":" + port;
        assertThat(allows(entry, "http://" + h + ":" + port + "/x")).isTrue();
        assertThat(allows(entry, "http://" + h.toUpperCase(Locale.ROOT) + ":" + port)).isTrue();
        assertThat(allows(entry, "http://" + h + ":" + other)).isEqualTo(port == other);
        String o = String.join(".", otherName);
        assertThat(allows(entry, "http://" + o + ":" + port)).isEqualTo(o.equals(h));
        assertThat(allows(entry, "https://" + h + ":" + port)).isFalse();
        assertThat(AllowedHost.parse(entry).literal()).isTrue();
    }

    @Property
    void entriesAreCaseInsensitive(@ForAll("names") List<String> name) {
        String h = String.join(".", name);
        AllowedHost lower = AllowedHost.parse("https://*." + h);
        AllowedHost upper = AllowedHost.parse("HTTPS://*." + h.toUpperCase(Locale.ROOT));
        assertThat(upper).isEqualTo(lower);
    }

    @Property
    void dottedQuadsAreAddressesAndMatchOnlyThemselves(
            @ForAll @IntRange(min = 0, max = 255) int a,
            @ForAll @IntRange(min = 0, max = 255) int b,
            @ForAll @IntRange(min = 0, max = 255) int c,
            @ForAll @IntRange(min = 0, max = 255) int d) {
        String ip = a + "." + b + "." + c + "." + d;
        OutboundUrl url = OutboundUrl.parse("http://" + ip + "/");
        assertThat(url.address()).isNotNull();
        assertThat(url.address().getHostAddress()).isEqualTo(ip);
        assertThat(AllowedHost.parse("http://" + ip).matches(url)).isTrue();
        assertThat(AllowedHost.parse("http://*.example.com").matches(url)).isFalse();
    }
}
