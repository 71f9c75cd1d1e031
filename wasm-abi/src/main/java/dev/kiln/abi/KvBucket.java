package dev.kiln.abi;

import java.util.List;
import java.util.Optional;

/**
 * One service's key-value store as its guests see it through the {@code kv_*} host calls
 * (wasm-abi/ABI.md section 4.12). Keys and values are bytes; the host checks keys ({@link
 * #MAX_KEY_BYTES}, UTF-8 text without control characters) and value sizes ({@link
 * #MAX_VALUE_BYTES}) before it calls a bucket. An expired key does not exist.
 *
 * <p>Every method may throw {@link KvException}: {@code LIMIT} when the service's store is full,
 * {@code INVALID} for an increment of a value that is no integer, {@code UNAVAILABLE} when storage
 * failed. Thread-safe: a service's invocations share one bucket.
 */
public interface KvBucket {
    /** Longest key, in UTF-8 bytes (Spin's and Workers KV's keys are of this order). */
    int MAX_KEY_BYTES = 256;

    /** Largest value: 1 MiB. */
    int MAX_VALUE_BYTES = 1024 * 1024;

    /** Most keys one {@code kv_list} page holds. */
    int LIST_PAGE_KEYS = 100;

    /** A bucket for hosts and tools without a store: every call is unavailable. */
    KvBucket NONE = new Unavailable();

    /** Whether {@code key} is a key: 1 to 256 bytes of UTF-8 text without control characters. */
    static boolean validKey(byte[] key) {
        return KvCalls.validKey(key);
    }

    /** A {@code kv_list} page as the guest gets it: each key as u16 little-endian length, bytes. */
    static byte[] encodePage(List<byte[]> keys) {
        return KvCalls.encode(keys);
    }

    /** The value of {@code key}, if it exists. */
    Optional<byte[]> get(byte[] key);

    /**
     * Stores {@code value} under {@code key}, replacing any value.
     *
     * @param ttlMillis how long the key lives, 0 for ever
     */
    void set(byte[] key, byte[] value, long ttlMillis);

    /** Removes {@code key}; false when it did not exist. */
    boolean delete(byte[] key);

    /**
     * Keys starting with {@code prefix} and greater than {@code after} (byte order), ascending, at
     * most {@code limit}.
     */
    List<byte[]> list(byte[] prefix, byte[] after, int limit);

    /**
     * Adds {@code delta} to the signed 64-bit decimal integer stored under {@code key} (a missing
     * key counts as 0) and returns the sum, atomically; the key keeps its expiry.
     *
     * @throws KvException {@code INVALID} when the value is not such an integer or the sum
     *     overflows
     */
    long increment(byte[] key, long delta);

    /**
     * Stores {@code value} only if the key's value is {@code expected} ({@code null}: only if the
     * key does not exist), atomically; the stored key has no expiry.
     *
     * @return whether it stored
     */
    boolean compareAndSwap(byte[] key, byte[] expected, byte[] value);

    /** {@link #NONE}'s class. */
    final class Unavailable implements KvBucket {
        private static KvException unavailable() {
            return new KvException(KvException.Kind.UNAVAILABLE, "no key-value store");
        }

        @Override
        public Optional<byte[]> get(byte[] key) {
            throw unavailable();
        }

        @Override
        public void set(byte[] key, byte[] value, long ttlMillis) {
            throw unavailable();
        }

        @Override
        public boolean delete(byte[] key) {
            throw unavailable();
        }

        @Override
        public List<byte[]> list(byte[] prefix, byte[] after, int limit) {
            throw unavailable();
        }

        @Override
        public long increment(byte[] key, long delta) {
            throw unavailable();
        }

        @Override
        public boolean compareAndSwap(byte[] key, byte[] expected, byte[] value) {
            throw unavailable();
        }
    }
}
