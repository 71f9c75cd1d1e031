package dev.kiln.host.access;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Key parsing, patterns and the check itself, on a real key table. */
class KeyCheckTest {
    @TempDir Path data;

    @Test
    void onlyTheExactSecretOfAStoredKeyOrTheAdminTokenAuthenticates() {
        try (ApiKeys keys = ApiKeys.open(data.resolve("kiln.db"), "the-admin-token", 10)) {
            var created =
                    keys.create(
                            new KeyRequest(
                                    "k",
                                    Role.INVOKER,
                                    new ServiceScope(List.of(new ServicePattern("shop-*")))));
            String secret = created.secret();
            assertThat(keys.authenticate(secret))
                    .get()
                    .extracting(Principal::role)
                    .isEqualTo(Role.INVOKER);
            assertThat(keys.authenticate("the-admin-token"))
                    .get()
                    .extracting(Principal::keyId)
                    .isEqualTo(ApiKeys.ADMIN_TOKEN_ID);
            // One character off anywhere, a prefix, an extension, another id: nothing.
            String lastOff =
                    secret.substring(0, secret.length() - 1) + (secret.endsWith("A") ? "B" : "A");
            String otherId = "kiln_k_0000000000000000" + secret.substring(23);
            for (String wrong :
                    List.of(
                            lastOff,
                            secret.substring(0, secret.length() - 1),
                            secret + "x",
                            otherId,
                            "the-admin-token ",
                            "",
                            "kiln_k_")) {
                assertThat(keys.authenticate(wrong)).as(wrong).isEmpty();
            }
            assertThat(ApiKeys.idOf(secret)).isEqualTo(created.key().id());
            assertThat(ApiKeys.idOf("kiln_k_0123456789ABCDEF_x")).isNull();
            keys.delete(created.key().id());
            assertThat(keys.authenticate(secret)).isEmpty();
        }
    }

    @Test
    void patternsMatchNamesPrefixesOrEverything() {
        var scope =
                new ServiceScope(List.of(new ServicePattern("shop"), new ServicePattern("eu-*")));
        assertThat(scope.covers("shop")).isTrue();
        assertThat(scope.covers("shop-2")).isFalse();
        assertThat(scope.covers("eu-")).isTrue();
        assertThat(scope.covers("eu-west")).isTrue();
        assertThat(scope.covers("us-east")).isFalse();
        assertThat(scope.coversAll()).isFalse();
        assertThat(ServiceScope.ALL.covers("anything")).isTrue();
        for (String bad : List.of("", "Shop", "a*b", "**", "*a", "-a", "a b", "a".repeat(64))) {
            assertThat(ServicePattern.valid(bad)).as(bad).isFalse();
        }
    }
}
