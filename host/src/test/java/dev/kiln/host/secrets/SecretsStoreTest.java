package dev.kiln.host.secrets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.host.core.KilnException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretsStoreTest {
    @TempDir Path data;

    @Test
    void sealedValuesOpenOnlyWithTheirKeyAndAssociatedData() throws Exception {
        SecretKeyring ring = SecretKeyring.loadOrCreate(data);
        byte[] aad = "kiln-secret\0s\0f\0K".getBytes(StandardCharsets.UTF_8);
        var sealed = ring.seal("hunter2".getBytes(StandardCharsets.UTF_8), aad);
        assertThat(new String(ring.open(sealed, aad), StandardCharsets.UTF_8)).isEqualTo("hunter2");
        assertThat(new String(sealed.ciphertext(), StandardCharsets.ISO_8859_1))
                .doesNotContain("hunter2");
        // Moved to another name, or tampered with: it no longer opens.
        byte[] other = "kiln-secret\0s\0f\0J".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> ring.open(sealed, other))
                .isInstanceOf(IllegalStateException.class);
        byte[] flipped = sealed.ciphertext().clone();
        flipped[0] ^= 1;
        assertThatThrownBy(
                        () ->
                                ring.open(
                                        new SecretKeyring.Sealed(
                                                sealed.keyId(), sealed.nonce(), flipped),
                                        aad))
                .isInstanceOf(IllegalStateException.class);
        // Two seals of one value differ (a fresh nonce each time).
        assertThat(ring.seal("hunter2".getBytes(StandardCharsets.UTF_8), aad).ciphertext())
                .isNotEqualTo(sealed.ciphertext());
    }

    @Test
    void theKeyFileIsCreatedOwnerOnly() throws Exception {
        try (Secrets s = Secrets.open(data)) {
            assertThat(s.activeKeyId()).startsWith("k");
        }
        assertThat(
                        PosixFilePermissions.toString(
                                Files.getPosixFilePermissions(data.resolve("secrets.key"))))
                .isEqualTo("rw-------");
    }

    @Test
    void secretsSurviveARestartAndNeverSitInPlainText() throws Exception {
        try (Secrets s = Secrets.open(data)) {
            s.apply("shop", "pay", Map.of("API_KEY", "sk_live_PLAINTEXT_MARKER", "OTHER", "x"));
            assertThat(s.values("shop", "pay"))
                    .containsEntry("API_KEY", "sk_live_PLAINTEXT_MARKER");
            assertThat(s.list("shop", "pay"))
                    .extracting(Secrets.SecretInfo::name)
                    .containsExactly("API_KEY", "OTHER");
        }
        List<Path> files;
        try (var listing = Files.list(data)) {
            files = listing.toList();
        }
        for (Path p : files) {
            assertThat(new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1))
                    .as(p.toString())
                    .doesNotContain("sk_live_PLAINTEXT_MARKER");
        }
        try (Secrets s = Secrets.open(data)) {
            assertThat(s.values("shop", "pay"))
                    .containsEntry("API_KEY", "sk_live_PLAINTEXT_MARKER");
            Map<String, String> delete = new HashMap<>();
            delete.put("OTHER", null);
            s.apply("shop", "pay", delete);
            assertThat(s.values("shop", "pay")).containsOnlyKeys("API_KEY");
        }
    }

    @Test
    void withoutItsKeyFileTheStoreRefusesToOpen() throws Exception {
        try (Secrets s = Secrets.open(data)) {
            s.apply("shop", "pay", Map.of("K", "v"));
        }
        Files.delete(data.resolve("secrets.key"));
        assertThatThrownBy(() -> Secrets.open(data))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("secrets.key is missing");
    }

    @Test
    void aWrongKeyFileIsRefusedAtOpenNotAtAnInvocation() throws Exception {
        try (Secrets s = Secrets.open(data)) {
            s.apply("shop", "pay", Map.of("K", "v"));
        }
        Files.delete(data.resolve("secrets.key"));
        Path other = data.resolve("other");
        Files.createDirectories(other);
        SecretKeyring.loadOrCreate(other);
        Files.copy(other.resolve("secrets.key"), data.resolve("secrets.key"));
        assertThatThrownBy(() -> Secrets.open(data))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not in secrets.key");
    }

    @Test
    void rotationReSealsEverythingAndDropsTheOldKey() throws Exception {
        String oldKey;
        try (Secrets s = Secrets.open(data)) {
            s.apply("a", "f", Map.of("K", "one"));
            s.apply("b", "g", Map.of("K", "two", "L", "three"));
            oldKey = s.activeKeyId();
            assertThat(s.rotateKey()).isEqualTo(2);
            assertThat(s.activeKeyId()).isNotEqualTo(oldKey);
        }
        String keyFile = Files.readString(data.resolve("secrets.key"));
        assertThat(keyFile).doesNotContain(oldKey + " ");
        assertThat(
                        PosixFilePermissions.toString(
                                Files.getPosixFilePermissions(data.resolve("secrets.key"))))
                .isEqualTo("rw-------");
        try (Secrets s = Secrets.open(data)) {
            assertThat(s.values("a", "f")).containsEntry("K", "one");
            assertThat(s.values("b", "g")).containsEntry("L", "three");
        }
    }

    @Test
    void anInterruptedRotationLeavesEveryValueReadable() throws Exception {
        try (Secrets s = Secrets.open(data)) {
            s.apply("a", "f", Map.of("K", "one"));
        }
        // The first step of a rotation, as a crash would leave it: both keys, values sealed with
        // the old one.
        SecretKeyring.load(data.resolve("secrets.key")).withNewKey();
        try (Secrets s = Secrets.open(data)) {
            assertThat(s.values("a", "f")).containsEntry("K", "one");
            s.rotateKey();
        }
        try (Secrets s = Secrets.open(data)) {
            assertThat(s.values("a", "f")).containsEntry("K", "one");
        }
    }

    @Test
    void badChangesAreRefusedWithoutEchoingValues() throws Exception {
        try (Secrets s = Secrets.open(data)) {
            assertThatThrownBy(() -> s.check("a", "f", Map.of("bad name", "SECRETVALUE1")))
                    .isInstanceOf(KilnException.class)
                    .hasMessageContaining("bad name")
                    .hasMessageNotContaining("SECRETVALUE1");
            String big = "SECRETVALUE2" + "x".repeat(Secrets.MAX_VALUE_BYTES);
            assertThatThrownBy(() -> s.check("a", "f", Map.of("BIG", big)))
                    .isInstanceOf(KilnException.class)
                    .hasMessageContaining("BIG")
                    .hasMessageNotContaining("SECRETVALUE2");
            Map<String, String> many = new HashMap<>();
            for (int i = 0; i <= Secrets.MAX_SECRETS_PER_FUNCTION; i++) {
                many.put("S" + i, "v");
            }
            assertThatThrownBy(() -> s.check("a", "f", many))
                    .isInstanceOf(KilnException.class)
                    .hasMessageContaining("at most " + Secrets.MAX_SECRETS_PER_FUNCTION);
        }
    }
}
