package dev.kiln.host.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;

/**
 * Turns an upload body into an {@link Upload}: a bare module, or a zip holding {@code kiln.json}
 * and the module it names. Zips are read defensively: bounded entry count and inflated size, no
 * path tricks, nothing written to disk.
 */
public final class UploadReader {
    static final String MANIFEST = "kiln.json";
    static final int MAX_ZIP_ENTRIES = SettingsLimits.FIXED.maxZipEntries();
    private static final ObjectMapper JSON = new ObjectMapper();

    private final int maxInflatedBytes;

    /**
     * @param maxInflatedBytes cap on the total uncompressed size of a zip's entries
     */
    public UploadReader(int maxInflatedBytes) {
        this.maxInflatedBytes = maxInflatedBytes;
    }

    /**
     * Unpacks an upload body: a bare module, or a zip with the module and {@code kiln.json}.
     *
     * @param contentType the request's media type, without parameters; {@code null} when absent
     */
    public Upload read(String contentType, byte[] body) {
        String type = contentType == null ? "" : contentType.toLowerCase(Locale.ROOT);
        boolean zipMagic = body.length >= 4 && body[0] == 'P' && body[1] == 'K';
        return switch (type) {
            case "application/wasm" -> new Upload(body, SettingsPatch.EMPTY);
            case "application/zip", "application/x-zip-compressed" -> readZip(body);
            case "application/octet-stream", "" ->
                    zipMagic ? readZip(body) : new Upload(body, SettingsPatch.EMPTY);
            default ->
                    throw new KilnException(
                            ErrorCode.UNSUPPORTED_MEDIA_TYPE,
                            "upload a module as application/wasm or a zip as application/zip,"
                                    + " not "
                                    + contentType);
        };
    }

    private Upload readZip(byte[] body) {
        Map<String, byte[]> entries = new HashMap<>();
        long inflated = 0;
        try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(body))) {
            ZipEntry entry;
            while ((entry = zip.getNextEntry()) != null) {
                if (entries.size() >= MAX_ZIP_ENTRIES) {
                    throw invalid("zip has more than " + MAX_ZIP_ENTRIES + " entries");
                }
                String name = entry.getName();
                checkName(name);
                if (entry.isDirectory()) {
                    continue;
                }
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                byte[] buf = new byte[16 * 1024];
                int n;
                while ((n = zip.read(buf)) > 0) {
                    inflated += n;
                    if (inflated > maxInflatedBytes) {
                        throw new KilnException(
                                ErrorCode.PAYLOAD_TOO_LARGE,
                                "zip inflates to more than " + maxInflatedBytes + " bytes");
                    }
                    out.write(buf, 0, n);
                }
                if (entries.put(name, out.toByteArray()) != null) {
                    throw invalid("zip holds '" + name + "' twice");
                }
            }
        } catch (ZipException e) {
            throw invalid("not a readable zip archive");
        } catch (IOException e) {
            throw invalid("not a readable zip archive");
        }
        if (entries.isEmpty()) {
            throw invalid("not a readable zip archive (no entries)");
        }
        byte[] manifestBytes = entries.get(MANIFEST);
        if (manifestBytes == null) {
            throw invalid("zip must contain " + MANIFEST + " at its root");
        }
        JsonNode manifest;
        try {
            manifest = JSON.readTree(manifestBytes);
        } catch (IOException e) {
            throw invalid(MANIFEST + " is not valid JSON");
        }
        if (manifest == null || !manifest.isObject()) {
            throw invalid(MANIFEST + " must be a JSON object");
        }
        SettingsPatch settings;
        try {
            settings = SettingsPatch.fromJson(manifest, MANIFEST, Set.of("module"));
        } catch (KilnException e) {
            throw invalid(e.getMessage());
        }
        if (settings.wasiReadOnlyDirs() != null) {
            // Code packages must not grant themselves host directories: that is the operator's
            // decision, made with PATCH.
            throw invalid(
                    MANIFEST
                            + " may not set "
                            + SettingsPatch.WASI_READ_ONLY_DIRS
                            + "; an administrator grants directories with PATCH");
        }
        JsonNode moduleNode = manifest.get("module");
        if (moduleNode == null || !moduleNode.isTextual()) {
            throw invalid(MANIFEST + " must name the module file in 'module'");
        }
        byte[] wasm = entries.get(moduleNode.asText());
        if (wasm == null) {
            throw invalid(
                    MANIFEST + " names module '" + moduleNode.asText() + "' but the zip lacks it");
        }
        return new Upload(wasm, settings);
    }

    private static void checkName(String name) {
        if (name.isEmpty()
                || name.startsWith("/")
                || name.contains("\\")
                || name.contains("\0")
                || name.matches("^[A-Za-z]:.*")) {
            throw invalid("zip entry name '" + printable(name) + "' is not allowed");
        }
        for (String part : name.split("/", -1)) {
            if (part.equals("..")) {
                throw invalid("zip entry name '" + printable(name) + "' is not allowed");
            }
        }
    }

    private static String printable(String s) {
        String t = s.replaceAll("[^\\x20-\\x7e]", "?");
        return t.length() > 100 ? t.substring(0, 100) + "..." : t;
    }

    private static KilnException invalid(String message) {
        return new KilnException(ErrorCode.INVALID_MODULE, message);
    }
}
