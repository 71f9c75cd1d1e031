package dev.kiln.host.kv;

/**
 * What one service's key-value store may hold (docs/adr/0039). Keys ({@code
 * KvBucket.MAX_KEY_BYTES}) and values ({@code KvBucket.MAX_VALUE_BYTES}) have fixed sizes.
 *
 * @param maxKeysPerService keys one service may store (expired keys stop counting once purged,
 *     which a write at the limit does first)
 * @param maxBytesPerService bytes of keys and values one service may store
 */
public record KvLimits(int maxKeysPerService, long maxBytesPerService) {
    public static final int DEFAULT_MAX_KEYS_PER_SERVICE = 10_000;
    public static final long DEFAULT_MAX_BYTES_PER_SERVICE = 100L * 1024 * 1024;

    public static final KvLimits DEFAULTS =
            new KvLimits(DEFAULT_MAX_KEYS_PER_SERVICE, DEFAULT_MAX_BYTES_PER_SERVICE);

    public KvLimits {
        if (maxKeysPerService < 1 || maxBytesPerService < 1) {
            throw new IllegalArgumentException(
                    "key-value limits must be positive, got "
                            + maxKeysPerService
                            + " keys, "
                            + maxBytesPerService
                            + " bytes");
        }
    }
}
