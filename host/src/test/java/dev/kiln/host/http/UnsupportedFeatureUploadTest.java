package dev.kiln.host.http;

import static dev.kiln.host.testing.TestHost.errorCode;
import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.config.CompileAt;
import dev.kiln.host.config.KilnConfig;
import dev.kiln.host.testing.RawModule;
import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Modules with features Kiln refuses (docs/adr/0026) are refused at upload as {@code
 * invalid_module} whether code is compiled at upload or at first use: before this, a SIMD module
 * answered 500 {@code internal} at upload, and under {@code --compile-at FIRST_USE} was stored and
 * then failed (and was compiled again) on every call.
 */
class UnsupportedFeatureUploadTest {
    static final String SIMD =
            """
            (module
              (memory (export "memory") 1)
              (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
              (func (export "kiln_handle") (param i32 i32) (result i64)
                (i32.store (i32.const 0) (i32x4.extract_lane 0 (v128.const i32x4 7 0 0 0)))
                (i64.const 4)))
            """;

    @ParameterizedTest
    @EnumSource(CompileAt.class)
    void refusedFeaturesAreInvalidModulesAndTheHostServesOn(CompileAt when, @TempDir Path data) {
        Consumer<KilnConfig.Builder> config = b -> b.compileAt(when);
        try (TestHost kiln = TestHost.start(data, config)) {
            var simd = kiln.deploy("s", "simd", Wat.compile(SIMD));
            assertThat(simd.statusCode()).isEqualTo(400);
            assertThat(errorCode(simd)).isEqualTo("invalid_module");
            assertThat(text(simd)).contains("SIMD");

            byte[] gc = RawModule.kiln().type("5e7f01").handle("", "410a fb0703 1a 4200").bytes();
            var refused = kiln.deploy("s", "gc", gc);
            assertThat(refused.statusCode()).isEqualTo(400);
            assertThat(text(refused)).contains("garbage-collected");

            // Nothing was stored, and the host still deploys and runs a plain module.
            assertThat(kiln.get("/api/v1/services/s/functions/simd").statusCode()).isEqualTo(404);
            assertThat(kiln.deploy("s", "echo", Wat.fixture("echo")).statusCode()).isEqualTo(201);
            assertThat(text(kiln.invoke("s", "echo", "still here"))).isEqualTo("still here");
        }
    }
}
