package dev.kiln.host.http;

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
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Everything wrong inside an uploaded zip, kiln.json settings included, is invalid_module. */
class ZipManifestTest {
    static byte[] zip(String manifest, byte[] module) throws IOException {
        var out = new ByteArrayOutputStream();
        try (var zip = new ZipOutputStream(out)) {
            zip.putNextEntry(new ZipEntry("kiln.json"));
            zip.write(manifest.getBytes(StandardCharsets.UTF_8));
            zip.putNextEntry(new ZipEntry("f.wasm"));
            zip.write(module);
        }
        return out.toByteArray();
    }

    @Test
    void outOfRangeSettingsInKilnJsonAreInvalidModule(@TempDir Path data) throws IOException {
        try (TestHost kiln = TestHost.start(data)) {
            byte[] echo = Wat.fixture("echo");
            for (String manifest :
                    new String[] {
                        "{\"module\":\"f.wasm\",\"abi\":\"cobol-85\"}",
                        "{\"module\":\"f.wasm\",\"timeoutMs\":2000000000}",
                        "{\"module\":\"f.wasm\",\"memoryMiB\":0}",
                        "{\"module\":\"f.wasm\",\"env\":{\"1BAD\":\"v\"}}"
                    }) {
                var r =
                        kiln.send(
                                kiln.admin("/api/v1/services/z/functions/f")
                                        .header("Content-Type", "application/zip")
                                        .PUT(
                                                HttpRequest.BodyPublishers.ofByteArray(
                                                        zip(manifest, echo)))
                                        .build());
                assertThat(r.statusCode()).as(manifest).isEqualTo(400);
                assertThat(errorCode(r)).as(manifest).isEqualTo("invalid_module");
                assertThat(text(r)).contains("kiln.json");
            }
            assertThat(kiln.get("/api/v1/services/z/functions/f").statusCode()).isEqualTo(404);
            var ok =
                    kiln.send(
                            kiln.admin("/api/v1/services/z/functions/f")
                                    .header("Content-Type", "application/zip")
                                    .PUT(
                                            HttpRequest.BodyPublishers.ofByteArray(
                                                    zip("{\"module\":\"f.wasm\"}", echo)))
                                    .build());
            assertThat(ok.statusCode()).isEqualTo(201);
            assertThat(text(kiln.invoke("z", "f", "served"))).isEqualTo("served");
        }
    }
}
