package dev.kiln.host.kv;

import java.util.concurrent.CompletableFuture;

/** A change to one service's key-value store, handed to the store's writer thread. */
sealed interface KvOp {
    String service();

    byte[] key();

    /** Completed by the writer once the change is committed (or refused). */
    CompletableFuture<Object> result();

    /** Replaces the value; {@code expiresAt} 0 for never. Result {@code Boolean.TRUE}. */
    record Set(
            String service,
            byte[] key,
            byte[] value,
            long expiresAt,
            CompletableFuture<Object> result)
            implements KvOp {}

    /** Result: whether a live key was removed. */
    record Delete(String service, byte[] key, CompletableFuture<Object> result) implements KvOp {}

    /** Result: the new {@code Long} value. */
    record Increment(String service, byte[] key, long delta, CompletableFuture<Object> result)
            implements KvOp {}

    /** {@code expected} null: the key must not exist. Result: whether it stored. */
    record CompareAndSwap(
            String service,
            byte[] key,
            byte[] expected,
            byte[] value,
            CompletableFuture<Object> result)
            implements KvOp {}
}
