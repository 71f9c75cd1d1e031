package dev.kiln.host.events;

import java.sql.SQLException;
import java.util.concurrent.CompletableFuture;

/**
 * One change to the queue, waiting for the writer: run inside a savepoint of the writer's
 * transaction, settled (its future completed) only once that transaction has committed or failed.
 */
final class EventOp<T> {
    /** The change itself, in SQL, recording what it changes in memory. */
    @FunctionalInterface
    interface Body<T> {
        T run(QueueState.Changes changes) throws SQLException;
    }

    final CompletableFuture<T> future = new CompletableFuture<>();
    // The event whose lease this change ends, stored or not; null if it ends none.
    final Long endsLease;
    private final Body<T> body;
    private T result;
    private RuntimeException refused;

    EventOp(Long endsLease, Body<T> body) {
        this.endsLease = endsLease;
        this.body = body;
    }

    void run(QueueState.Changes changes) throws SQLException {
        result = body.run(changes);
    }

    /** This change alone was refused (undone); the rest of its transaction goes on. */
    void refuse(RuntimeException why) {
        refused = why;
    }

    /** Completes the future once the transaction committed. */
    void settle() {
        if (refused != null) {
            future.completeExceptionally(refused);
        } else {
            future.complete(result);
        }
    }

    void fail(Throwable why) {
        future.completeExceptionally(why);
    }
}
