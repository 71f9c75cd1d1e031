package dev.kiln.host.registry;

import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.core.Sha256;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The registry's module bytes: read back verified against their hash, dropped when unused. */
final class RegistryModules {
    private static final Logger log = LoggerFactory.getLogger(Registry.class);

    private final RegistryStorage storage;

    RegistryModules(RegistryStorage storage) {
        this.storage = storage;
    }

    /** The module bytes of a version, verified against their hash. */
    byte[] read(String sha256) {
        byte[] bytes;
        try {
            bytes = storage.module(sha256);
        } catch (IOException e) {
            throw RegistryStore.storageFailure(e);
        }
        if (bytes == null || !Sha256.hex(bytes).equals(sha256)) {
            log.error("module file {} is missing or corrupt", sha256);
            throw new KilnException(
                    ErrorCode.INTERNAL, "the stored module of this function is unavailable");
        }
        return bytes;
    }

    /** After a failed store: the module goes unless a stored version shares it; never throws. */
    void dropIfUnreferenced(String sha) {
        try {
            if (!storage.isReferenced(sha)) {
                storage.deleteModule(sha);
            }
        } catch (IOException | RuntimeException e) {
            // The sweep at the next start removes it.
            log.warn("could not remove module file {} after a failed store: {}", sha, e.toString());
        }
    }

    /** After a delete: the module goes unless a stored version still uses it. */
    void dropUnreferenced(String sha) {
        if (!storage.isReferenced(sha)) {
            try {
                storage.deleteModule(sha);
            } catch (IOException e) {
                log.warn("could not delete unused module file {}: {}", sha, e.toString());
            }
        }
    }
}
