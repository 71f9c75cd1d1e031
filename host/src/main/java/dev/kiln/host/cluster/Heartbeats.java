package dev.kiln.host.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.nats.client.Connection;
import io.nats.client.KeyValue;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValueOperation;
import io.nats.client.api.KeyValueWatcher;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Node membership: every node puts its heartbeat (zone, capacity in use) into the {@code
 * kiln-nodes} bucket every {@link #INTERVAL} and watches everybody's. A node whose last heartbeat
 * is older than three intervals is {@code unreachable}; the bucket's max age removes it in the end.
 */
final class Heartbeats implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Heartbeats.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    static final Duration INTERVAL = Duration.ofSeconds(2);

    /** A heartbeat as stored. */
    record Beat(
            String name,
            String zone,
            String state,
            int inUse,
            int capacity,
            long heartbeatAt,
            long startedAt) {}

    private final Connection nc;
    private final KeyValue kv;
    private final String name;
    private final String zone;
    private final long startedAt = System.currentTimeMillis();
    private final Map<String, Beat> beats = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer =
            Executors.newSingleThreadScheduledExecutor(
                    r -> {
                        Thread t = new Thread(r, "kiln-cluster-heartbeat");
                        t.setDaemon(true);
                        return t;
                    });
    private volatile IntSupplier inUse = () -> 0;
    private volatile int capacity;
    private volatile AutoCloseable watch;

    Heartbeats(Connection nc, KeyValue kv, String name, String zone) {
        this.nc = nc;
        this.kv = kv;
        this.name = name;
        this.zone = zone;
    }

    /** Starts watching and beating; {@code inUse} of {@code capacity} is what the node reports. */
    void start(IntSupplier inUse, int capacity) throws IOException {
        this.inUse = inUse;
        this.capacity = capacity;
        watch();
        beat();
        var unused =
                timer.scheduleWithFixedDelay(
                        this::beat,
                        INTERVAL.toMillis(),
                        INTERVAL.toMillis(),
                        TimeUnit.MILLISECONDS);
    }

    /** After NATS came back: the watch again (a restarted server lost its consumer). */
    void rewatch() {
        try {
            AutoCloseable old = watch;
            if (old != null) {
                old.close();
            }
            watch();
        } catch (Exception e) {
            log.warn("heartbeat watch not resumed: {}", e.toString());
        }
    }

    private void watch() throws IOException {
        try {
            watch =
                    kv.watchAll(
                            new KeyValueWatcher() {
                                @Override
                                public void watch(KeyValueEntry e) {
                                    seen(e);
                                }

                                @Override
                                public void endOfData() {}
                            });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (io.nats.client.JetStreamApiException e) {
            throw new IOException("cannot watch " + Buckets.NODES, e);
        }
    }

    private void seen(KeyValueEntry e) {
        try {
            if (e.getOperation() != KeyValueOperation.PUT) {
                beats.remove(e.getKey());
                return;
            }
            beats.put(e.getKey(), JSON.readValue(e.getValue(), Beat.class));
        } catch (IOException | RuntimeException ex) {
            log.warn("unreadable heartbeat {}: {}", e.getKey(), ex.toString());
        }
    }

    private Beat own(String state) {
        return new Beat(
                name,
                zone,
                state,
                inUse.getAsInt(),
                capacity,
                System.currentTimeMillis(),
                startedAt);
    }

    private void beat() {
        if (nc.getStatus() != Connection.Status.CONNECTED) {
            return;
        }
        try {
            kv.put(name, JSON.writeValueAsBytes(own("serving")));
        } catch (Exception e) {
            log.debug("heartbeat not stored: {}", e.toString());
        }
    }

    /** Names of the other nodes whose heartbeat is fresh. */
    List<String> livePeers() {
        long now = System.currentTimeMillis();
        List<String> out = new ArrayList<>();
        for (Beat b : beats.values()) {
            if (!b.name().equals(name) && now - b.heartbeatAt() <= 3 * INTERVAL.toMillis()) {
                out.add(b.name());
            }
        }
        return out;
    }

    /** Every node known: this one first (as it is now), then the others by name. */
    List<NodeStatus> nodes() {
        long now = System.currentTimeMillis();
        boolean connected = nc.getStatus() == Connection.Status.CONNECTED;
        List<NodeStatus> out = new ArrayList<>();
        Beat self = own(connected ? "serving" : "disconnected");
        out.add(status(self, self.state(), true));
        beats.values().stream()
                .filter(b -> !b.name().equals(name))
                .sorted(Comparator.comparing(Beat::name))
                .forEach(
                        b ->
                                out.add(
                                        status(
                                                b,
                                                now - b.heartbeatAt() > 3 * INTERVAL.toMillis()
                                                        ? "unreachable"
                                                        : b.state(),
                                                false)));
        return out;
    }

    private static NodeStatus status(Beat b, String state, boolean self) {
        return new NodeStatus(
                b.name(),
                b.zone(),
                state,
                b.inUse(),
                b.capacity(),
                Instant.ofEpochMilli(b.heartbeatAt()),
                Instant.ofEpochMilli(b.startedAt()),
                self);
    }

    /** Stops beating and removes this node's entry, so the others see it leave at once. */
    @Override
    public void close() {
        timer.shutdownNow();
        try {
            if (watch != null) {
                watch.close();
            }
        } catch (Exception e) {
            log.debug("closing the heartbeat watch: {}", e.toString());
        }
        if (nc.getStatus() == Connection.Status.CONNECTED) {
            try {
                kv.delete(name);
            } catch (Exception e) {
                log.debug("heartbeat not removed: {}", e.toString());
            }
        }
    }
}
