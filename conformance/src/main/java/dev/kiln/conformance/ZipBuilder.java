package dev.kiln.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Builds a zip upload from its description in case.json, so zip slips and zip bombs need no binary
 * files in the repository. Each entry has a {@code name} (any string, including {@code ../evil})
 * and one content: {@code text}, {@code json}, {@code base64}, {@code hex}, {@code module} ({@code
 * true} for the case's module, or a file name), {@code zeros} (a count, deflated: a bomb), or
 * {@code zip} (a nested zip's entries). {@code "stored": true} skips compression.
 */
final class ZipBuilder {
    private final ToLongFunction<JsonNode> quantity;
    private final Function<JsonNode, byte[]> module;

    /**
     * @param quantity evaluates counts such as {@code "$maxUploadBytes+1"}
     * @param module loads a {@code module} entry's bytes
     */
    ZipBuilder(ToLongFunction<JsonNode> quantity, Function<JsonNode, byte[]> module) {
        this.quantity = quantity;
        this.module = module;
    }

    byte[] build(JsonNode entries) {
        if (!entries.isArray()) {
            throw new IllegalArgumentException("zip must be an array of entries");
        }
        var out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            for (JsonNode e : entries) {
                write(zip, e);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private void write(ZipOutputStream zip, JsonNode e) throws IOException {
        ZipEntry entry = new ZipEntry(e.path("name").asText());
        if (e.has("zeros")) {
            // Streamed, never held in memory: a bomb may inflate to more than the heap holds.
            zip.putNextEntry(entry);
            writeZeros(zip, quantity.applyAsLong(e.get("zeros")));
            zip.closeEntry();
            return;
        }
        byte[] content = content(e);
        if (e.path("stored").asBoolean(false)) {
            CRC32 crc = new CRC32();
            crc.update(content);
            entry.setMethod(ZipEntry.STORED);
            entry.setSize(content.length);
            entry.setCompressedSize(content.length);
            entry.setCrc(crc.getValue());
        }
        zip.putNextEntry(entry);
        zip.write(content);
        zip.closeEntry();
    }

    private byte[] content(JsonNode e) {
        if (e.has("text")) {
            return e.get("text").asText().getBytes(StandardCharsets.UTF_8);
        }
        if (e.has("json")) {
            return e.get("json").toString().getBytes(StandardCharsets.UTF_8);
        }
        if (e.has("base64")) {
            return Base64.getDecoder().decode(e.get("base64").asText());
        }
        if (e.has("hex")) {
            return HexFormat.of().parseHex(e.get("hex").asText().replaceAll("\\s+", ""));
        }
        if (e.has("module")) {
            return module.apply(e.get("module"));
        }
        if (e.has("zip")) {
            return build(e.get("zip"));
        }
        throw new IllegalArgumentException(
                "zip entry '" + e.path("name").asText() + "' has no content");
    }

    private static void writeZeros(OutputStream out, long n) throws IOException {
        byte[] chunk = new byte[64 * 1024];
        while (n > 0) {
            int k = (int) Math.min(chunk.length, n);
            out.write(chunk, 0, k);
            n -= k;
        }
    }
}
