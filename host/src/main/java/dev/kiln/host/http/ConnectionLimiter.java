package dev.kiln.host.http;

import dev.kiln.host.invoke.RequestIds;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.xnio.ChannelListener;
import org.xnio.ChannelListeners;
import org.xnio.IoUtils;
import org.xnio.StreamConnection;

/**
 * Sits in front of Undertow's open listener and caps open connections, host-wide and per client
 * address. A connection over a cap gets a fixed 503 {@code server_busy} (best effort: a single
 * write into an empty socket buffer) and is closed at once, before Undertow allocates anything for
 * it. Undertow has no per-address cap, and XNIO's {@code CONNECTION_HIGH_WATER} only stops
 * accepting, leaving clients waiting in the kernel's backlog instead of refused.
 */
final class ConnectionLimiter implements ChannelListener<StreamConnection> {
    /** Why a connection was refused, as the metric label. */
    enum Refusal {
        TOTAL,
        PER_IP
    }

    private final ChannelListener<StreamConnection> next;
    private final int maxTotal;
    private final int maxPerIp;
    private final AtomicInteger open = new AtomicInteger();
    private final ConcurrentHashMap<InetAddress, AtomicInteger> perIp = new ConcurrentHashMap<>();
    private final LongAdder refusedTotal = new LongAdder();
    private final LongAdder refusedPerIp = new LongAdder();

    ConnectionLimiter(ChannelListener<StreamConnection> next, int maxTotal, int maxPerIp) {
        this.next = next;
        this.maxTotal = maxTotal;
        this.maxPerIp = maxPerIp;
    }

    @Override
    public void handleEvent(StreamConnection connection) {
        InetSocketAddress peer = connection.getPeerAddress(InetSocketAddress.class);
        InetAddress ip = peer == null ? null : peer.getAddress();
        if (open.incrementAndGet() > maxTotal) {
            open.decrementAndGet();
            refuse(connection, Refusal.TOTAL);
            return;
        }
        AtomicInteger fromIp = null;
        if (ip != null) {
            fromIp = perIp.computeIfAbsent(ip, k -> new AtomicInteger());
            if (fromIp.incrementAndGet() > maxPerIp) {
                release(ip, fromIp);
                open.decrementAndGet();
                refuse(connection, Refusal.PER_IP);
                return;
            }
        }
        next.handleEvent(connection);
        // Undertow's connection has set its own close listener by now: chain ours after it.
        AtomicBoolean released = new AtomicBoolean();
        AtomicInteger counted = fromIp;
        Runnable onClose =
                () -> {
                    if (released.compareAndSet(false, true)) {
                        open.decrementAndGet();
                        if (counted != null) {
                            release(ip, counted);
                        }
                    }
                };
        ChannelListener<? super StreamConnection> undertows = connection.getCloseListener();
        connection.setCloseListener(
                c -> {
                    try {
                        ChannelListeners.invokeChannelListener(c, undertows);
                    } finally {
                        onClose.run();
                    }
                });
        if (!connection.isOpen()) {
            // Closed while Undertow took it over, before our listener was in place.
            onClose.run();
        }
    }

    /** Drops the address's counter when its last connection goes, so the map stays small. */
    private void release(InetAddress ip, AtomicInteger counter) {
        if (counter.decrementAndGet() == 0) {
            perIp.remove(ip, counter);
        }
    }

    private void refuse(StreamConnection connection, Refusal why) {
        (why == Refusal.TOTAL ? refusedTotal : refusedPerIp).increment();
        String message =
                why == Refusal.TOTAL
                        ? "the host has as many open connections as it may; retry later"
                        : "too many open connections from this address; retry later";
        String body =
                "{\"error\":{\"code\":\"server_busy\",\"message\":\""
                        + message
                        + "\",\"requestId\":\""
                        + RequestIds.next()
                        + "\"}}";
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        String head =
                "HTTP/1.1 503 Service Unavailable\r\n"
                        + "Content-Type: application/json\r\n"
                        + "Retry-After: 1\r\n"
                        + "Connection: close\r\n"
                        + "Content-Length: "
                        + bytes.length
                        + "\r\n\r\n";
        ByteBuffer out =
                ByteBuffer.allocate(head.length() + bytes.length)
                        .put(head.getBytes(StandardCharsets.US_ASCII))
                        .put(bytes)
                        .flip();
        try {
            connection.getSinkChannel().write(out);
            connection.getSinkChannel().shutdownWrites();
            connection.getSinkChannel().flush();
        } catch (java.io.IOException | RuntimeException e) {
            // Best effort: the connection is closed below either way.
        }
        IoUtils.safeClose(connection);
    }

    int open() {
        return open.get();
    }

    long refused(Refusal why) {
        return (why == Refusal.TOTAL ? refusedTotal : refusedPerIp).sum();
    }

    int maxTotal() {
        return maxTotal;
    }

    int maxPerIp() {
        return maxPerIp;
    }
}
