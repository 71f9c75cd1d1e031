package dev.kiln.host.kv;

/**
 * A stored key with its value, as the admin API shows it.
 *
 * @param expiresAtMillis Unix epoch milliseconds when the key expires, 0 for never
 */
public record KvEntry(byte[] key, byte[] value, long expiresAtMillis) {}
