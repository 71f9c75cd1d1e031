package dev.kiln.host.replay;

import java.util.Optional;

/**
 * Seals secret values for storage and opens them again: the host's secrets key (AES-256-GCM, the
 * one that seals {@code secrets.db}), given to the recording store by the composition root.
 */
public interface SecretSeal {
    /** For tools and tests without a key: values are kept out of the store entirely. */
    SecretSeal NONE =
            new SecretSeal() {
                @Override
                public Optional<String> seal(String plaintext) {
                    return Optional.empty();
                }

                @Override
                public Optional<String> open(String sealed) {
                    return Optional.empty();
                }
            };

    /** The sealed text, or empty when this seal cannot seal (the value is then not stored). */
    Optional<String> seal(String plaintext);

    /** The value, or empty when it cannot be opened (a retired key, a damaged value). */
    Optional<String> open(String sealed);
}
