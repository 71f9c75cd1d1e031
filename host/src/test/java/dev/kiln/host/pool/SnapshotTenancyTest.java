package dev.kiln.host.pool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No state crosses tenants through shared content (issue 13 item 8): the post-init snapshot belongs
 * to one function version, never to the content hash its compiled code is shared by.
 */
class SnapshotTenancyTest {
    /** kiln_init draws 32 random bytes; every invocation returns them. */
    static final String RANDOM_AT_INIT =
            """
            (module
              (import "kiln" "random_fill" (func $random (param i32 i32) (result i32)))
              (memory (export "memory") 1)
              (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
              (func (export "kiln_init")
                (drop (call $random (i32.const 256) (i32.const 32))))
              (func (export "kiln_handle") (param i32 i32) (result i64)
                (i64.or (i64.shl (i64.const 256) (i64.const 32)) (i64.const 32))))
            """;

    @TempDir Path data;

    private static String drawn(TestHost kiln, String service) {
        var r = kiln.invoke(service, "f", "x");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).hasSize(32);
        return HexFormat.of().formatHex(r.body());
    }

    @Test
    void eachServiceAndEachVersionRunsItsOwnInit() throws IOException {
        byte[] wasm = Wat.compile(RANDOM_AT_INIT);
        try (TestHost kiln = TestHost.start(data)) {
            assertThat(kiln.deploy("one", "f", wasm).statusCode()).isEqualTo(201);
            assertThat(kiln.deploy("two", "f", wasm).statusCode()).isEqualTo(201);
            String one = drawn(kiln, "one");
            String two = drawn(kiln, "two");
            assertThat(one).isNotEqualTo(two);
            // Within one version, every instance starts from the same snapshot.
            assertThat(drawn(kiln, "one")).isEqualTo(one);
            // Compiled code is still shared by content hash.
            assertThat(kiln.host().pool().compiledCount()).isEqualTo(1);

            // Delete and redeploy the same bytes: new random bytes.
            kiln.send(kiln.admin("/api/v1/services/one/functions/f").DELETE().build());
            assertThat(kiln.deploy("one", "f", wasm).statusCode()).isEqualTo(201);
            String again = drawn(kiln, "one");
            assertThat(again).isNotEqualTo(one).isNotEqualTo(two);

            // A new version of the same bytes (a code setting changed, docs/adr/0037) is a new
            // version: its own init too.
            assertThat(kiln.patch("two", "f", "{\"env\":{\"V\":\"2\"}}").statusCode())
                    .isEqualTo(200);
            String twoV2 = drawn(kiln, "two");
            assertThat(twoV2).isNotEqualTo(two).isNotEqualTo(again);

            // The compiled-code cache on disk holds code, never a guest's initialised state.
            assertThat(filesContaining(data.resolve("compiled"), List.of(one, two, again, twoV2)))
                    .isEmpty();
            try (Stream<Path> files = Files.walk(data.resolve("compiled"))) {
                assertThat(files.filter(Files::isRegularFile).count()).isPositive();
            }
        }
    }

    @Test
    void aRestartRunsInitAgainInsteadOfReusingAnythingStored() {
        byte[] wasm = Wat.compile(RANDOM_AT_INIT);
        String before;
        try (TestHost kiln = TestHost.start(data)) {
            kiln.deploy("one", "f", wasm);
            before = drawn(kiln, "one");
        }
        try (TestHost kiln = TestHost.start(data)) {
            assertThat(drawn(kiln, "one")).isNotEqualTo(before);
        }
    }

    /** Files under {@code dir} whose bytes contain any of the hex strings. */
    private static List<Path> filesContaining(Path dir, List<String> hex) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile)
                    .filter(
                            f -> {
                                try {
                                    String content =
                                            HexFormat.of().formatHex(Files.readAllBytes(f));
                                    // Byte-aligned matches only.
                                    for (String h : hex) {
                                        for (int i = content.indexOf(h);
                                                i >= 0;
                                                i = content.indexOf(h, i + 1)) {
                                            if (i % 2 == 0) {
                                                return true;
                                            }
                                        }
                                    }
                                    return false;
                                } catch (IOException e) {
                                    throw new java.io.UncheckedIOException(e);
                                }
                            })
                    .toList();
        }
    }
}
