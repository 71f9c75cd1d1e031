package dev.kiln.host.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Resolves the management API token: the configured one (from {@code KILN_ADMIN_TOKEN}), else the
 * one stored in the data directory, else a new one written there with mode 0600.
 */
public final class AdminTokens {
    public static final String FILE_NAME = "admin-token";

    private AdminTokens() {}

    /** The token and whether it was created just now (so it should be shown once). */
    public record Resolved(String token, boolean created, Path file) {}

    public static Resolved resolve(String configured, Path dataDir) throws IOException {
        if (configured != null && !configured.isBlank()) {
            return new Resolved(configured.trim(), false, null);
        }
        Path file = dataDir.resolve(FILE_NAME);
        if (Files.exists(file)) {
            return new Resolved(Files.readString(file, StandardCharsets.UTF_8).trim(), false, file);
        }
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        String token = "kiln_" + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        Files.createDirectories(dataDir);
        try {
            Files.createFile(
                    file,
                    PosixFilePermissions.asFileAttribute(
                            PosixFilePermissions.fromString("rw-------")));
        } catch (FileAlreadyExistsException e) {
            return resolve(null, dataDir);
        } catch (UnsupportedOperationException e) {
            Files.createFile(file);
        }
        Files.writeString(
                file, token + "\n", StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
        return new Resolved(token, true, file);
    }
}
