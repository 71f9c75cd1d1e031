package dev.kiln.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * The body and content type of an upload: a module alone, or a zip whose {@code kiln.json} carries
 * the settings, so the code and its settings arrive as one version (docs/adr/0042).
 */
final class Upload {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MANIFEST = "kiln.json";
    private static final String MODULE_ENTRY = "function.wasm";

    private final byte[] body;
    private final String type;

    private Upload(byte[] body, String type) {
        this.body = body;
        this.type = type;
    }

    byte[] body() {
        return body;
    }

    String type() {
        return type;
    }

    static Upload of(byte[] code, Map<String, ?> settings) {
        boolean none = settings == null || settings.isEmpty();
        if (isWasm(code)) {
            if (none) {
                return new Upload(code, "application/wasm");
            }
            ObjectNode manifest = JSON.valueToTree(settings);
            manifest.put("module", MODULE_ENTRY);
            Map<String, byte[]> entries = new LinkedHashMap<>();
            entries.put(MANIFEST, bytes(manifest));
            entries.put(MODULE_ENTRY, code);
            return new Upload(zip(entries), "application/zip");
        }
        if (code.length >= 2 && code[0] == 'P' && code[1] == 'K') {
            if (none) {
                return new Upload(code, "application/zip");
            }
            Map<String, byte[]> entries = unzip(code);
            ObjectNode manifest;
            try {
                manifest =
                        entries.containsKey(MANIFEST)
                                ? (ObjectNode) JSON.readTree(entries.get(MANIFEST))
                                : JSON.createObjectNode().put("module", onlyModule(entries));
            } catch (IOException | ClassCastException e) {
                throw new IllegalArgumentException("the zip's kiln.json is not a JSON object", e);
            }
            manifest.setAll((ObjectNode) JSON.valueToTree(settings));
            entries.put(MANIFEST, bytes(manifest));
            return new Upload(zip(entries), "application/zip");
        }
        throw new IllegalArgumentException(
                "code is neither a WebAssembly module (\\0asm) nor a zip archive");
    }

    private static boolean isWasm(byte[] code) {
        return code.length >= 4
                && code[0] == 0
                && code[1] == 'a'
                && code[2] == 's'
                && code[3] == 'm';
    }

    private static String onlyModule(Map<String, byte[]> entries) {
        var modules = entries.keySet().stream().filter(n -> n.endsWith(".wasm")).toList();
        if (modules.size() != 1) {
            throw new IllegalArgumentException(
                    "a zip without kiln.json must hold exactly one .wasm module");
        }
        return modules.getFirst();
    }

    private static byte[] bytes(ObjectNode json) {
        try {
            return JSON.writeValueAsBytes(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("settings are not serialisable as JSON", e);
        }
    }

    private static byte[] zip(Map<String, byte[]> entries) {
        var out = new ByteArrayOutputStream();
        try (var zip = new ZipOutputStream(out)) {
            for (var e : entries.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey()));
                zip.write(e.getValue());
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static Map<String, byte[]> unzip(byte[] code) {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (var zip = new ZipInputStream(new ByteArrayInputStream(code))) {
            for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
                if (!e.isDirectory()) {
                    entries.put(e.getName(), zip.readAllBytes());
                }
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("not a readable zip archive", e);
        }
        return entries;
    }
}
