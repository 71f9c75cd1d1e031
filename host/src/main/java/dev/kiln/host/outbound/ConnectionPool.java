package dev.kiln.host.outbound;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Idle keep-alive connections, shared by every invocation of the host: at most {@code maxIdle} in
 * all and {@code maxIdlePerKey} per {@link PoolKey}, each closed after {@code idleTtlNanos} unused
 * (checked whenever the pool is used: no thread of its own). The most recently used connection is
 * taken first, so the others age out.
 */
final class ConnectionPool implements AutoCloseable {
    private final int maxIdle;
    private final int maxIdlePerKey;
    private final long idleTtlNanos;
    private final Map<PoolKey, ArrayDeque<HttpConnection>> idle = new HashMap<>();
    private int count;
    private boolean closed;

    ConnectionPool(int maxIdle, int maxIdlePerKey, long idleTtlNanos) {
        this.maxIdle = maxIdle;
        this.maxIdlePerKey = maxIdlePerKey;
        this.idleTtlNanos = idleTtlNanos;
    }

    /** An idle connection for {@code key}, or null. */
    HttpConnection take(PoolKey key) {
        List<HttpConnection> expired = new ArrayList<>();
        HttpConnection c;
        synchronized (this) {
            expire(System.nanoTime(), expired);
            ArrayDeque<HttpConnection> q = idle.get(key);
            c = q == null ? null : q.pollLast();
            if (c != null) {
                count--;
                if (q.isEmpty()) {
                    idle.remove(key);
                }
            }
        }
        expired.forEach(HttpConnection::close);
        return c;
    }

    /** Keeps {@code c} for reuse, or closes it when the pool is full or closed. */
    void offer(HttpConnection c) {
        List<HttpConnection> expired = new ArrayList<>();
        boolean kept = false;
        synchronized (this) {
            long now = System.nanoTime();
            expire(now, expired);
            ArrayDeque<HttpConnection> q = idle.computeIfAbsent(c.key(), k -> new ArrayDeque<>());
            if (!closed && count < maxIdle && q.size() < maxIdlePerKey) {
                c.markIdle(now);
                q.addLast(c);
                count++;
                kept = true;
            } else if (q.isEmpty()) {
                idle.remove(c.key());
            }
        }
        if (!kept) {
            c.close();
        }
        expired.forEach(HttpConnection::close);
    }

    /** Idle connections now. */
    synchronized int idleCount() {
        return count;
    }

    private void expire(long now, List<HttpConnection> out) {
        for (Iterator<ArrayDeque<HttpConnection>> it = idle.values().iterator(); it.hasNext(); ) {
            ArrayDeque<HttpConnection> q = it.next();
            while (!q.isEmpty() && now - q.peekFirst().idleSinceNanos() > idleTtlNanos) {
                out.add(q.pollFirst());
                count--;
            }
            if (q.isEmpty()) {
                it.remove();
            }
        }
    }

    @Override
    public void close() {
        List<HttpConnection> all = new ArrayList<>();
        synchronized (this) {
            closed = true;
            idle.values().forEach(all::addAll);
            idle.clear();
            count = 0;
        }
        all.forEach(HttpConnection::close);
    }
}
