package dev.kiln.host.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Uploads a module as a wasi-cgi function: a zip holding it and a kiln.json that says so. */
public final class WasiCgiUpload {
    private WasiCgiUpload() {}

    /** {@code kiln.json} is {@code {"module":"f.wasm","abi":"wasi-cgi"<extraJson>}}. */
    public static byte[] zip(byte[] wasm, String extraJson) {
        String manifest = "{\"module\":\"f.wasm\",\"abi\":\"wasi-cgi\"" + extraJson + "}";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            zip.putNextEntry(new ZipEntry("kiln.json"));
            zip.write(manifest.getBytes(StandardCharsets.UTF_8));
            zip.putNextEntry(new ZipEntry("f.wasm"));
            zip.write(wasm);
            zip.closeEntry();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    public static HttpResponse<byte[]> deploy(
            TestHost kiln, String service, String function, byte[] wasm) {
        return deploy(kiln, service, function, wasm, "");
    }

    public static HttpResponse<byte[]> deploy(
            TestHost kiln, String service, String function, byte[] wasm, String extraJson) {
        return kiln.send(
                kiln.admin("/api/v1/services/" + service + "/functions/" + function)
                        .header("Content-Type", "application/zip")
                        .PUT(HttpRequest.BodyPublishers.ofByteArray(zip(wasm, extraJson)))
                        .build());
    }
}
