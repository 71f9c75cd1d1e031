package dev.kiln.host.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegistryTest {
    @TempDir Path data;

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void deployCreatesVersionsAndMovesLatest() {
        try (Registry r = Registry.open(data)) {
            FunctionInfo v1 = r.deploy("shop", "orders", bytes("one"), FunctionSettings.DEFAULTS);
            FunctionInfo v2 = r.deploy("shop", "orders", bytes("two"), FunctionSettings.DEFAULTS);
            assertThat(v1.latest().number()).isEqualTo(1);
            assertThat(v2.latest().number()).isEqualTo(2);
            assertThat(r.find("shop", "orders")).contains(v2);
            assertThat(r.versions("shop", "orders"))
                    .extracting(VersionInfo::number)
                    .containsExactly(2, 1);
            assertThat(v2.createdAt()).isEqualTo(v1.createdAt());
            assertThat(new String(r.readModule(v1.latest().sha256()), StandardCharsets.UTF_8))
                    .isEqualTo("one");
        }
    }

    @Test
    void identicalBytesShareOneBlob() throws IOException {
        try (Registry r = Registry.open(data)) {
            r.deploy("a", "f", bytes("same"), FunctionSettings.DEFAULTS);
            r.deploy("a", "f", bytes("same"), FunctionSettings.DEFAULTS);
            r.deploy("b", "g", bytes("same"), FunctionSettings.DEFAULTS);
            assertThat(r.versions("a", "f")).hasSize(2);
        }
        assertThat(blobs()).hasSize(1);
    }

    @Test
    void everythingSurvivesReopening() {
        var settings =
                new FunctionSettings(
                        "main",
                        "kiln",
                        1234,
                        32,
                        Map.of("GREETING", "Grüß dich ✓", "B", ""),
                        "d",
                        5,
                        3,
                        Map.of(),
                        "reuse",
                        2,
                        7,
                        "key",
                        "all");
        try (Registry r = Registry.open(data)) {
            r.deploy("shop", "orders", bytes("x"), settings);
        }
        try (Registry r = Registry.open(data)) {
            FunctionInfo f = r.find("shop", "orders").orElseThrow();
            assertThat(f.settings()).isEqualTo(settings);
            assertThat(f.latest().number()).isEqualTo(1);
            assertThat(r.services()).containsExactly("shop");
            assertThat(r.deploy("shop", "orders", bytes("y"), settings).latest().number())
                    .isEqualTo(2);
        }
    }

    @Test
    void updateSettingsAndDelete() throws IOException {
        try (Registry r = Registry.open(data)) {
            r.deploy("s", "keep", bytes("shared"), FunctionSettings.DEFAULTS);
            r.deploy("s", "gone", bytes("shared"), FunctionSettings.DEFAULTS);
            r.deploy("s", "gone", bytes("own"), FunctionSettings.DEFAULTS);
            var changed =
                    new FunctionSettings(
                            "h",
                            "kiln",
                            5,
                            1,
                            Map.of(),
                            "new",
                            0,
                            0,
                            Map.of(),
                            "fresh",
                            0,
                            0,
                            "anonymous",
                            "none");
            assertThat(r.updateSettings("s", "keep", changed).settings()).isEqualTo(changed);
            assertThat(r.delete("s", "gone")).isTrue();
            assertThat(r.delete("s", "gone")).isFalse();
            assertThat(r.find("s", "gone")).isEmpty();
            assertThat(r.versions("s", "gone")).isEmpty();
            assertThat(r.functions("s")).extracting(FunctionInfo::name).containsExactly("keep");
            assertThatThrownBy(() -> r.updateSettings("s", "gone", changed))
                    .isInstanceOfSatisfying(
                            KilnException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.FUNCTION_NOT_FOUND));
        }
        // The blob "keep" still uses stays; the one only "gone" used is removed.
        assertThat(blobs()).hasSize(1);
    }

    @Test
    void badNamesAreRefused() {
        try (Registry r = Registry.open(data)) {
            for (String bad : new String[] {"", "Upper", "-lead", "a/b", "x".repeat(64), "dot.s"}) {
                assertThatThrownBy(() -> r.deploy(bad, "f", bytes("x"), FunctionSettings.DEFAULTS))
                        .isInstanceOfSatisfying(
                                KilnException.class,
                                e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST));
            }
            assertThat(r.services()).isEmpty();
            assertThat(r.find("Upper", "f")).isEmpty();
        }
    }

    @Test
    void aCorruptBlobIsDetected() throws IOException {
        String sha;
        try (Registry r = Registry.open(data)) {
            sha = r.deploy("s", "f", bytes("good"), FunctionSettings.DEFAULTS).latest().sha256();
        }
        Files.writeString(blobs().get(0), "evil");
        try (Registry r = Registry.open(data)) {
            assertThatThrownBy(() -> r.readModule(sha))
                    .isInstanceOfSatisfying(
                            KilnException.class,
                            e -> {
                                assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL);
                                assertThat(e.getMessage()).doesNotContain(data.toString());
                            });
        }
    }

    @Test
    void orphanBlobsAndTempFilesAreSweptOnOpen() throws IOException {
        try (Registry r = Registry.open(data)) {
            r.deploy("s", "f", bytes("kept"), FunctionSettings.DEFAULTS);
        }
        Path dir = data.resolve("modules/sha256/ab");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("ab" + "0".repeat(62) + ".wasm"), "orphan");
        Files.writeString(dir.resolve("abcd-123.tmp"), "half written");
        try (Registry r = Registry.open(data)) {
            assertThat(blobs()).hasSize(1);
            assertThat(r.find("s", "f")).isPresent();
        }
        try (Stream<Path> files = Files.walk(data.resolve("modules"))) {
            assertThat(files.filter(p -> p.toString().endsWith(".tmp"))).isEmpty();
        }
    }

    @Test
    void concurrentDeploysStayConsistent() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try (Registry r = Registry.open(data)) {
            List<Future<FunctionInfo>> futures = new ArrayList<>();
            for (int i = 0; i < 80; i++) {
                int n = i;
                futures.add(
                        pool.submit(
                                () ->
                                        r.deploy(
                                                "s",
                                                "f" + (n % 4),
                                                bytes("m" + n),
                                                FunctionSettings.DEFAULTS)));
            }
            for (var f : futures) {
                f.get();
            }
            for (int i = 0; i < 4; i++) {
                assertThat(r.versions("s", "f" + i))
                        .extracting(VersionInfo::number)
                        .containsExactlyElementsOf(
                                java.util.stream.IntStream.rangeClosed(1, 20)
                                        .map(x -> 21 - x)
                                        .boxed()
                                        .toList());
                assertThat(r.find("s", "f" + i).orElseThrow().latest().number()).isEqualTo(20);
            }
        } finally {
            pool.shutdownNow();
        }
        try (Registry r = Registry.open(data)) {
            assertThat(r.functions("s")).hasSize(4);
        }
    }

    private List<Path> blobs() throws IOException {
        try (Stream<Path> files = Files.walk(data.resolve("modules"))) {
            return files.filter(p -> p.toString().endsWith(".wasm")).toList();
        }
    }
}
