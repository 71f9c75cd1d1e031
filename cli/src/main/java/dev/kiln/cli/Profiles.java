package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The profiles {@code kiln login} saves: {@code config.json} in the config directory, {@code
 * {"profiles":{"<name>":{"endpoint","token"}}}}, written whole to a new file of mode 0600 and moved
 * over the old one (the key is a secret; a half-written file never replaces a good one).
 */
final class Profiles {
    static final String FILE_NAME = "config.json";
    static final String DEFAULT = "default";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One saved endpoint and its key. */
    record Profile(String endpoint, String token) {}

    private final Path file;

    Profiles(Path file) {
        this.file = file;
    }

    Path file() {
        return file;
    }

    /** The saved profiles by name; empty when the file does not exist. */
    Map<String, Profile> read() {
        if (!Files.exists(file)) {
            return Map.of();
        }
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new CliFailure("bad_config", file + " is not readable JSON: " + e.getMessage());
        }
        Map<String, Profile> out = new LinkedHashMap<>();
        for (var p : root.path("profiles").properties()) {
            out.put(
                    p.getKey(),
                    new Profile(
                            text(p.getValue().path("endpoint")), text(p.getValue().path("token"))));
        }
        return out;
    }

    /** Saves {@code profile} under {@code name}, keeping the others. */
    void save(String name, Profile profile) {
        Map<String, Profile> all = new LinkedHashMap<>(read());
        all.put(name, profile);
        ObjectNode root = JSON.createObjectNode();
        ObjectNode profiles = root.putObject("profiles");
        all.forEach(
                (n, p) -> {
                    ObjectNode o = profiles.putObject(n);
                    o.put("endpoint", p.endpoint());
                    if (p.token() != null) {
                        o.put("token", p.token());
                    }
                });
        try {
            Path dir = file.toAbsolutePath().getParent();
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(
                        dir,
                        PosixFilePermissions.asFileAttribute(
                                PosixFilePermissions.fromString("rwx------")));
            }
            Path temp = dir.resolve(FILE_NAME + ".new");
            Files.deleteIfExists(temp);
            try {
                Files.createFile(
                        temp,
                        PosixFilePermissions.asFileAttribute(
                                PosixFilePermissions.fromString("rw-------")));
            } catch (FileAlreadyExistsException e) {
                throw new CliFailure("io", temp + " appeared while saving; try again");
            }
            Files.write(temp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
            Files.move(
                    temp,
                    file,
                    StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save " + file + ": " + e.getMessage(), e);
        }
    }

    private static String text(JsonNode n) {
        return n.isTextual() ? n.asText() : null;
    }
}
