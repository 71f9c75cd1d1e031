package dev.kiln.host.deploy;

import static dev.kiln.host.deploy.UploadExecutionTest.files;
import static dev.kiln.host.deploy.UploadExecutionTest.metric;
import static dev.kiln.host.testing.TestHost.errorCode;
import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An upload refused after its module was compiled leaves nothing behind: no compiled module in
 * memory, no file in the compiled-code cache or the module store (issue 13, item 7), except code a
 * stored function shares.
 */
class RefusedUploadCleanupTest {

    /** kiln_init traps; {@code tag} makes each module's bytes (and code key) different. */
    private static byte[] trapsInInit(int tag) {
        return Wat.compile(
                """
                (module
                  (memory (export "memory") 1)
                  (data (i32.const 16) "tag %d")
                  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
                  (func (export "kiln_handle") (param i32 i32) (result i64) (i64.const 0))
                  (func (export "kiln_init") unreachable))
                """
                        .formatted(tag));
    }

    /** kiln_init grows memory to 2 MiB and traps if it cannot: needs memoryMiB of 2 or more. */
    private static final String NEEDS_TWO_MIB =
            """
            (module
              (memory (export "memory") 1)
              (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
              (func (export "kiln_handle") (param $p i32) (param $n i32) (result i64)
                (i64.or (i64.shl (i64.extend_i32_u (local.get $p)) (i64.const 32))
                        (i64.extend_i32_u (local.get $n))))
              (func (export "kiln_init")
                (if (i32.eq (memory.grow (i32.const 31)) (i32.const -1)) (then unreachable))))
            """;

    @Test
    void refusedUploadsLeaveNoCompiledCodeAndNoFiles(@TempDir Path data) {
        try (TestHost kiln = TestHost.start(data)) {
            assertThat(kiln.deploy("demo", "echo", Wat.fixture("echo")).statusCode())
                    .isEqualTo(201);
            double compiledBefore = metric(kiln, "kiln_compiled_modules");
            List<String> filesBefore = files(data);
            assertThat(compiledBefore).isEqualTo(1);
            assertThat(filesBefore).anyMatch(f -> f.startsWith("compiled"));

            for (int i = 0; i < 8; i++) {
                var r = kiln.deploy("demo", "trap" + i, trapsInInit(i));
                assertThat(r.statusCode()).as(text(r)).isEqualTo(400);
                assertThat(errorCode(r)).isEqualTo("invalid_module");
                assertThat(text(r)).contains("failed to instantiate");
            }

            assertThat(metric(kiln, "kiln_compiled_modules")).isEqualTo(compiledBefore);
            assertThat(kiln.host().pool().compiledCount()).isEqualTo(1);
            assertThat(files(data)).isEqualTo(filesBefore);
            assertThat(kiln.host().pool().liveInstances()).isEqualTo(1); // echo's, no trial left
            // The host still serves.
            assertThat(text(kiln.invoke("demo", "echo", "still"))).isEqualTo("still");
        }
    }

    @Test
    void codeSharedWithALiveFunctionStaysWhenAnotherSettingOfItIsRefused(@TempDir Path data)
            throws IOException {
        byte[] module = Wat.compile(NEEDS_TWO_MIB);
        try (TestHost kiln = TestHost.start(data)) {
            assertThat(kiln.deploy("demo", "live", module).statusCode()).isEqualTo(201);
            double compiledBefore = metric(kiln, "kiln_compiled_modules");
            List<String> filesBefore = files(data);
            assertThat(filesBefore).anyMatch(f -> f.startsWith("compiled"));

            // The same bytes with a 1 MiB memory cap: another code key, the same disk cache entry.
            var refused =
                    kiln.send(
                            kiln.admin("/api/v1/services/demo/functions/small")
                                    .header("Content-Type", "application/zip")
                                    .PUT(
                                            HttpRequest.BodyPublishers.ofByteArray(
                                                    zip("{\"memoryMiB\": 1}", module)))
                                    .build());
            assertThat(refused.statusCode()).as(text(refused)).isEqualTo(400);
            assertThat(errorCode(refused)).isEqualTo("invalid_module");
            assertThat(metric(kiln, "kiln_compiled_modules")).isEqualTo(compiledBefore);
            assertThat(files(data)).isEqualTo(filesBefore);

            // The same through a settings change of the live function itself.
            var patched = kiln.patch("demo", "live", "{\"memoryMiB\": 1}");
            assertThat(patched.statusCode()).as(text(patched)).isEqualTo(400);
            assertThat(metric(kiln, "kiln_compiled_modules")).isEqualTo(compiledBefore);
            assertThat(files(data)).isEqualTo(filesBefore);

            assertThat(text(kiln.invoke("demo", "live", "fine"))).isEqualTo("fine");
        }
        // After a restart the live function's code still comes from the disk cache.
        try (TestHost kiln = TestHost.start(data)) {
            var r = kiln.invoke("demo", "live", "again");
            assertThat(text(r)).isEqualTo("again");
            assertThat(kiln.host().metrics().scrape())
                    .contains("kiln_compilations_total{source=\"disk\"} 1");
        }
    }

    private static byte[] zip(String manifest, byte[] module) throws IOException {
        var out = new ByteArrayOutputStream();
        try (var zip = new ZipOutputStream(out)) {
            zip.putNextEntry(new ZipEntry("kiln.json"));
            zip.write(manifest.getBytes(StandardCharsets.UTF_8));
            zip.putNextEntry(new ZipEntry("f.wasm"));
            zip.write(module);
        }
        return out.toByteArray();
    }
}
