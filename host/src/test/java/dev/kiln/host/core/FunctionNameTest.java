package dev.kiln.host.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FunctionNameTest {

    @Test
    void parseReadsServiceAndFunction() {
        FunctionName n = FunctionName.parse("shop/check-out_2");
        assertThat(n.service()).isEqualTo("shop");
        assertThat(n.function()).isEqualTo("check-out_2");
        assertThat(n).hasToString("shop/check-out_2");
    }

    @Test
    void equalNamesAreEqualAndHashAlike() {
        assertThat(new FunctionName("a", "b")).isEqualTo(FunctionName.parse("a/b"));
        assertThat(new FunctionName("a", "b").hashCode())
                .isEqualTo(FunctionName.parse("a/b").hashCode());
        assertThat(new FunctionName("a", "b")).isNotEqualTo(new FunctionName("b", "a"));
        assertThat(new FunctionName("a-b", "c")).isNotEqualTo(new FunctionName("a", "b-c"));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "/",
                "shop",
                "shop/",
                "/fn",
                "shop/fn/x",
                "Shop/fn",
                "shop/Fn",
                "-a/b",
                "a/_b",
                "a b/c",
                "a/b\n",
                "../x",
                "a/..",
                "a\u0000/b",
            })
    void parseRefusesMalformedNamesWithBadRequest(String text) {
        assertThatThrownBy(() -> FunctionName.parse(text))
                .isInstanceOfSatisfying(
                        KilnException.class,
                        e -> {
                            assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST);
                            // the message echoes only printable ASCII (no control characters)
                            assertThat(e.getMessage()).matches("[\\x20-\\x7e]*");
                        });
    }

    @Test
    void parseRefusesNull() {
        assertThatThrownBy(() -> FunctionName.parse(null))
                .isInstanceOfSatisfying(
                        KilnException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST));
    }

    @Test
    void nameLengthFollowsTheRegistryRule() {
        String longest = "a".repeat(63);
        assertThat(FunctionName.parse(longest + "/" + longest).function()).isEqualTo(longest);
        assertThatThrownBy(() -> FunctionName.parse("a".repeat(64) + "/f"))
                .isInstanceOf(KilnException.class);
    }

    @Test
    void constructorRefusesNullsButNotUncheckedNames() {
        assertThatThrownBy(() -> new FunctionName(null, "f"))
                .isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new FunctionName("s", null))
                .isInstanceOf(NullPointerException.class);
        // a lookup key from a URL need not be valid; it just finds nothing
        assertThat(new FunctionName("Not Valid", "x")).hasToString("Not Valid/x");
    }

    @Test
    void checkedRefusesInvalidParts() {
        assertThatThrownBy(() -> FunctionName.checked("ok", "NO"))
                .isInstanceOfSatisfying(
                        KilnException.class,
                        e -> {
                            assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST);
                            assertThat(e.getMessage()).startsWith("function name 'NO' must match");
                        });
    }

    @Test
    void ordersAsTheJoinedStringsDo() {
        List<FunctionName> names =
                new ArrayList<>(
                        List.of(
                                new FunctionName("a", "x"),
                                new FunctionName("a-b", "x"),
                                new FunctionName("a", "b"),
                                new FunctionName("a0", "x")));
        names.sort(null);
        assertThat(names)
                .extracting(FunctionName::toString)
                .containsExactly("a-b/x", "a/b", "a/x", "a0/x");
    }

    @Property
    void toStringAndParseRoundTrip(
            @ForAll("names") String service, @ForAll("names") String function) {
        FunctionName n = new FunctionName(service, function);
        assertThat(FunctionName.parse(n.toString())).isEqualTo(n);
    }

    @Property
    void orderMatchesStringOrder(
            @ForAll("names") String s1,
            @ForAll("names") String f1,
            @ForAll("names") String s2,
            @ForAll("names") String f2) {
        FunctionName a = new FunctionName(s1, f1);
        FunctionName b = new FunctionName(s2, f2);
        assertThat(Integer.signum(a.compareTo(b)))
                .isEqualTo(Integer.signum(a.toString().compareTo(b.toString())));
    }

    @Provide
    Arbitrary<String> names() {
        Arbitrary<Character> first = Arbitraries.chars().range('a', 'z').range('0', '9');
        Arbitrary<String> rest =
                Arbitraries.strings()
                        .withCharRange('a', 'z')
                        .withCharRange('0', '9')
                        .withChars('_', '-')
                        .ofMaxLength(62);
        return first.flatMap(c -> rest.map(r -> c + r));
    }
}
