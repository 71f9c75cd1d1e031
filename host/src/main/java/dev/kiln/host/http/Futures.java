package dev.kiln.host.http;

import dev.kiln.host.core.KilnException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Turns a failed future back into the exception the error boundary maps to a response. */
final class Futures {
    private Futures() {}

    /** Throws {@code failure}'s cause (a {@link KilnException} keeps its code); no-op on null. */
    static void rethrow(Throwable failure) throws Exception {
        if (failure == null) {
            return;
        }
        Throwable cause = failure;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof Exception e) {
            throw e;
        }
        throw new IllegalStateException(cause);
    }

    /** Waits for {@code future} on a worker thread, rethrowing its failure. */
    static <T> T await(CompletableFuture<T> future) throws Exception {
        try {
            return future.join();
        } catch (CompletionException e) {
            rethrow(e);
            throw e; // not reached
        }
    }
}
