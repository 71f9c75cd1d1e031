package dev.kiln.host.kv;

import dev.kiln.abi.KvBucket;
import java.util.List;
import java.util.Optional;

/**
 * The key-value stores of all services (docs/adr/0039): one {@link KvBucket} per service for its
 * guests, and what the admin API reads. {@link SqliteKvStore} keeps them in {@code <data>/kv.db};
 * in cluster mode {@code cluster.JetStreamKvStore} keeps them in the {@code kiln-kv} JetStream
 * bucket (docs/adr/0055).
 */
public interface KvStore extends AutoCloseable {
    /** The bucket of {@code service}; cheap, may be called per invocation. */
    KvBucket bucket(String service);

    /** A key with its value and expiry, if it exists and has not expired. */
    Optional<KvEntry> entry(String service, byte[] key);

    /** Keys with their expiry (values left empty) for listing, as {@link KvBucket#list}. */
    List<KvEntry> keys(String service, byte[] prefix, byte[] after, int limit);

    /**
     * The admin API's write, checked like a guest's.
     *
     * @param ttlMillis how long the key lives, 0 for ever
     * @throws dev.kiln.abi.KvException {@code LIMIT} when the service's store is full
     */
    void put(String service, byte[] key, byte[] value, long ttlMillis);

    /** The admin API's delete; false when the key did not exist. */
    boolean remove(String service, byte[] key);

    /** What the service's store holds now. */
    KvUsage usage(String service);

    /** The limits every service's store has. */
    KvLimits limits();

    @Override
    void close();
}
