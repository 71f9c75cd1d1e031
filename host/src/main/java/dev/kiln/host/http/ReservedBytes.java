package dev.kiln.host.http;

import io.undertow.server.HttpServerExchange;
import io.undertow.server.ServerConnection;
import io.undertow.util.AttachmentKey;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The request bytes one exchange holds from the {@link RequestBytesBudget}. They go back when the
 * exchange ends, or when its connection closes first (an aborted request may never end its
 * exchange); whichever comes first gives them back, the other finds nothing left.
 */
final class ReservedBytes {
    private static final AttachmentKey<ReservedBytes> ON_EXCHANGE =
            AttachmentKey.create(ReservedBytes.class);
    private static final AttachmentKey<ConnectionHook> ON_CONNECTION =
            AttachmentKey.create(ConnectionHook.class);

    private final RequestBytesBudget budget;
    private final AtomicLong held = new AtomicLong();

    private ReservedBytes(RequestBytesBudget budget) {
        this.budget = budget;
    }

    /** The exchange's reservation, created (with its release hooks) on first use. */
    static ReservedBytes forExchange(HttpServerExchange exchange, RequestBytesBudget budget) {
        ReservedBytes r = exchange.getAttachment(ON_EXCHANGE);
        if (r != null) {
            return r;
        }
        ReservedBytes created = new ReservedBytes(budget);
        exchange.putAttachment(ON_EXCHANGE, created);
        exchange.addExchangeCompleteListener(
                (ex, next) -> {
                    created.releaseAll();
                    next.proceed();
                });
        // One close listener per connection (not per request, which would pile up on a
        // keep-alive connection): it releases whatever the connection's current exchange holds.
        ServerConnection connection = exchange.getConnection();
        ConnectionHook hook = connection.getAttachment(ON_CONNECTION);
        if (hook == null) {
            hook = new ConnectionHook();
            connection.putAttachment(ON_CONNECTION, hook);
            ConnectionHook h = hook;
            connection.addCloseListener(c -> h.closed());
        }
        hook.current = created;
        return created;
    }

    /** Reserves {@code bytes} more, if the budget has room. */
    boolean tryAdd(long bytes) {
        if (!budget.tryReserve(bytes)) {
            return false;
        }
        held.addAndGet(bytes);
        return true;
    }

    /** Gives back part of what is held (a buffer trimmed to the bytes that arrived). */
    void giveBack(long bytes) {
        long left = held.addAndGet(-bytes);
        if (left < 0) {
            held.addAndGet(bytes);
            throw new IllegalStateException("gave back more request bytes than were held");
        }
        budget.release(bytes);
    }

    /** Gives back everything held; safe to call more than once and from any thread. */
    void releaseAll() {
        long bytes = held.getAndSet(0);
        if (bytes > 0) {
            budget.release(bytes);
        }
    }

    private static final class ConnectionHook {
        volatile ReservedBytes current;

        void closed() {
            ReservedBytes r = current;
            if (r != null) {
                r.releaseAll();
            }
        }
    }
}
