package dev.kiln.host.cluster;

import dev.kiln.abi.HostDeadlineException;
import dev.kiln.abi.KvBucket;
import dev.kiln.abi.KvException;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.kv.KvEntry;
import dev.kiln.host.kv.KvLimits;
import dev.kiln.host.kv.KvStore;
import dev.kiln.host.kv.KvUsage;
import io.nats.client.JetStreamApiException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every service's key-value store in the cluster's {@code kiln-kv} bucket (docs/adr/0055), the
 * {@link KvStore} of cluster mode. Reads go to the stream leader, so a write acknowledged on any
 * node is what every node reads next; increment, compare-and-swap and delete are compare-and-set on
 * the key's revision, retried on conflict. Expiry is a header judged by the reading node's clock
 * (nats-server 2.9 has no per-key TTL): an expired key is absent and deleted by a sweep. Each
 * service's limits are counted by {@link KvServiceCounts}, on listings a second old at most when a
 * write grows the store: other nodes' writes in that window may overshoot a limit by what they add.
 *
 * <p>NATS unreachable: a guest's call returns unavailable, the admin API answers 503 {@code
 * unavailable}; nothing waits for a reconnect.
 */
public final class JetStreamKvStore implements KvStore {
    private static final Logger log = LoggerFactory.getLogger(JetStreamKvStore.class);

    /** How often each node looks for expired keys in the whole bucket. */
    static final Duration SWEEP_INTERVAL = Duration.ofSeconds(60);

    /** How long a deleted key's tombstone stays before a sweep removes it. */
    static final Duration TOMBSTONE_AGE = Duration.ofMinutes(30);

    /** Compare-and-set rounds one call may lose to other writers before it gives up. */
    private static final int MAX_TRIES = 1000;

    private final KvWire wire;
    private final KvLimits limits;
    private final Clock clock;
    private final ScheduledExecutorService sweeper;
    private final KvServiceCounts counts;
    private final AtomicBoolean payloadWarned = new AtomicBoolean();

    JetStreamKvStore(KvWire wire, KvLimits limits, Clock clock) {
        this.wire = wire;
        this.limits = limits;
        this.clock = clock;
        this.sweeper =
                Executors.newSingleThreadScheduledExecutor(
                        Thread.ofPlatform().daemon().name("kiln-kv-sweeper").factory());
        this.counts =
                new KvServiceCounts(
                        wire, limits, clock, gone -> sweeper.execute(() -> deleteExpired(gone)));
        var unused =
                sweeper.scheduleWithFixedDelay(
                        () -> sweep(TOMBSTONE_AGE),
                        SWEEP_INTERVAL.toMillis(),
                        SWEEP_INTERVAL.toMillis(),
                        TimeUnit.MILLISECONDS);
        long needed = KvBucket.MAX_VALUE_BYTES + KvWire.maxHeaderRoom();
        if (wire.maxPayload() < needed) {
            log.warn(
                    "the NATS servers take messages up to {} bytes (max_payload): key-value values"
                            + " over {} bytes will be refused; set max_payload to 2MB for the full"
                            + " 1 MiB (docs/CLUSTER.md)",
                    wire.maxPayload(),
                    wire.maxPayload() - KvWire.maxHeaderRoom());
        }
    }

    // --- reads -----------------------------------------------------------------------------

    private Optional<KvEntry> read(String service, byte[] key) {
        requireConnected();
        KvWire.Stored s = call("reading a key", () -> wire.read(natsKey(service, key)));
        return s.live(clock.millis())
                ? Optional.of(new KvEntry(key, s.value(), s.expiresAt()))
                : Optional.empty();
    }

    // --- writes ----------------------------------------------------------------------------

    /**
     * Stores {@code value} within the service's limits; {@code expected} null overwrites, else only
     * over that revision.
     *
     * @throws RevisionWrites.Conflict the key changed since {@code expected}
     */
    private void store(String service, byte[] key, byte[] value, long expiresAt, Long expected)
            throws RevisionWrites.Conflict {
        if (value.length + KvWire.headerRoom(natsKey(service, key)) > wire.maxPayload()) {
            if (payloadWarned.compareAndSet(false, true)) {
                log.warn(
                        "a key-value value of {} bytes is over the NATS servers' max_payload ({});"
                                + " set max_payload to 2MB (docs/CLUSTER.md)",
                        value.length,
                        wire.maxPayload());
            }
            throw new KvException(
                    KvException.Kind.LIMIT,
                    "value over the NATS servers' max_payload of " + wire.maxPayload() + " bytes");
        }
        requireConnected();
        String hex = KvWire.hex(key);
        long newBytes = (long) key.length + value.length;
        // reserved before the write, so this node's writes together cannot overshoot
        KvServiceKeys.Reservation reservation = counts.reserve(service, hex, newBytes);
        long revision;
        try {
            revision =
                    call(
                            "writing a key",
                            () -> {
                                try {
                                    return wire.put(
                                            natsKey(service, key), value, expiresAt, expected);
                                } catch (RevisionWrites.Conflict c) {
                                    return CONFLICT;
                                }
                            });
        } catch (RuntimeException e) {
            counts.settle(service, reservation, false);
            throw e;
        }
        counts.settle(service, reservation, revision != CONFLICT);
        if (revision == CONFLICT) {
            throw new RevisionWrites.Conflict();
        }
    }

    private static final long CONFLICT = -1;

    private void set(String service, byte[] key, byte[] value, long ttlMillis) {
        try {
            store(service, key, value, expiry(ttlMillis), null);
        } catch (RevisionWrites.Conflict c) {
            throw new IllegalStateException("an unconditional write conflicted", c);
        }
    }

    private boolean delete(String service, byte[] key) {
        String nk = natsKey(service, key);
        for (int tries = 0; tries < MAX_TRIES; tries++) {
            requireConnected();
            KvWire.Stored s = call("reading a key", () -> wire.read(nk));
            if (s.value() == null) {
                return false;
            }
            long now = clock.millis();
            boolean conflicted =
                    call(
                            "deleting a key",
                            () -> {
                                try {
                                    wire.delete(nk, s.revision());
                                    return false;
                                } catch (RevisionWrites.Conflict c) {
                                    return true;
                                }
                            });
            if (!conflicted) {
                counts.deleted(service, KvWire.hex(key));
                return s.live(now);
            }
            backOff(tries);
        }
        throw contended();
    }

    private long increment(String service, byte[] key, long delta) {
        String nk = natsKey(service, key);
        for (int tries = 0; tries < MAX_TRIES; tries++) {
            requireConnected();
            KvWire.Stored s = call("reading a key", () -> wire.read(nk));
            boolean live = s.live(clock.millis());
            long sum;
            try {
                sum = Math.addExact(live ? parse(s.value()) : 0, delta);
            } catch (ArithmeticException e) {
                throw new KvException(KvException.Kind.INVALID, "overflow");
            }
            try {
                store(
                        service,
                        key,
                        Long.toString(sum).getBytes(StandardCharsets.US_ASCII),
                        live ? s.expiresAt() : 0,
                        s.revision());
                return sum;
            } catch (RevisionWrites.Conflict c) {
                backOff(tries);
            }
        }
        throw contended();
    }

    private boolean compareAndSwap(String service, byte[] key, byte[] expected, byte[] value) {
        String nk = natsKey(service, key);
        for (int tries = 0; tries < MAX_TRIES; tries++) {
            requireConnected();
            KvWire.Stored s = call("reading a key", () -> wire.read(nk));
            boolean live = s.live(clock.millis());
            boolean matches = expected == null ? !live : live && Arrays.equals(s.value(), expected);
            if (!matches) {
                return false;
            }
            try {
                store(service, key, value, 0, s.revision());
                return true;
            } catch (RevisionWrites.Conflict c) {
                backOff(tries); // changed meanwhile: compare with the new value
            }
        }
        throw contended();
    }

    // --- expiry ----------------------------------------------------------------------------

    /** Tombstones over expired keys, then removes tombstones older than {@code tombstoneAge}. */
    void sweep(Duration tombstoneAge) {
        try {
            if (wire.connected()) {
                long now = clock.millis();
                List<KvWire.Listed> expired = new ArrayList<>();
                for (KvWire.Listed l : wire.scan(">")) {
                    if (l.expiresAt() != 0 && l.expiresAt() <= now) {
                        expired.add(l);
                    }
                }
                deleteExpired(expired);
                wire.purgeTombstones(tombstoneAge);
            }
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            log.debug("key-value sweep skipped: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Tombstones over expired keys, each only if nobody wrote it since it was listed. */
    private void deleteExpired(List<KvWire.Listed> expired) {
        for (KvWire.Listed l : expired) {
            try {
                wire.delete(l.natsKey(), l.revision());
            } catch (RevisionWrites.Conflict c) {
                // written again meanwhile: it lives on
            } catch (IOException | JetStreamApiException | RuntimeException e) {
                log.debug("deleting an expired key failed: {}", e.toString());
                return;
            }
        }
    }

    // --- KvStore ---------------------------------------------------------------------------

    @Override
    public KvBucket bucket(String service) {
        return new Bucket(service);
    }

    @Override
    public Optional<KvEntry> entry(String service, byte[] key) {
        return admin(() -> read(service, key));
    }

    @Override
    public List<KvEntry> keys(String service, byte[] prefix, byte[] after, int limit) {
        return admin(() -> keyPage(service, prefix, after, limit));
    }

    private List<KvEntry> keyPage(String service, byte[] prefix, byte[] after, int limit) {
        requireConnected();
        String from = service + "." + KvWire.hex(after);
        String starts = service + "." + KvWire.hex(prefix);
        List<KvWire.Listed> live = counts.list(service);
        List<KvEntry> out = new ArrayList<>();
        for (KvWire.Listed l : live) {
            if (out.size() >= limit) {
                break;
            }
            if (l.natsKey().compareTo(from) > 0 && l.natsKey().startsWith(starts)) {
                String hex = l.natsKey().substring(service.length() + 1);
                out.add(new KvEntry(KvWire.keyOf(hex), new byte[0], l.expiresAt()));
            }
        }
        return out;
    }

    @Override
    public void put(String service, byte[] key, byte[] value, long ttlMillis) {
        admin(
                () -> {
                    set(service, key, value, ttlMillis);
                    return null;
                });
    }

    @Override
    public boolean remove(String service, byte[] key) {
        return admin(() -> delete(service, key));
    }

    @Override
    public KvUsage usage(String service) {
        return admin(
                () -> {
                    requireConnected();
                    return counts.usage(service);
                });
    }

    @Override
    public KvLimits limits() {
        return limits;
    }

    /** Listings of services this node has started (for the limits, the admin API or guests). */
    long listings() {
        return counts.listings();
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
        counts.close();
    }

    private final class Bucket implements KvBucket {
        private final String service;

        Bucket(String service) {
            this.service = service;
        }

        @Override
        public Optional<byte[]> get(byte[] key) {
            return read(service, key).map(KvEntry::value);
        }

        @Override
        public void set(byte[] key, byte[] value, long ttlMillis) {
            JetStreamKvStore.this.set(service, key, value, ttlMillis);
        }

        @Override
        public boolean delete(byte[] key) {
            return JetStreamKvStore.this.delete(service, key);
        }

        @Override
        public List<byte[]> list(byte[] prefix, byte[] after, int limit) {
            List<byte[]> out = new ArrayList<>();
            for (KvEntry e : keyPage(service, prefix, after, limit)) {
                out.add(e.key());
            }
            return out;
        }

        @Override
        public long increment(byte[] key, long delta) {
            return JetStreamKvStore.this.increment(service, key, delta);
        }

        @Override
        public boolean compareAndSwap(byte[] key, byte[] expected, byte[] value) {
            return JetStreamKvStore.this.compareAndSwap(service, key, expected, value);
        }
    }

    // --- helpers ---------------------------------------------------------------------------

    /** A NATS round trip; its failures become the guest's unavailable. */
    interface NatsCall<T> {
        T run() throws IOException, JetStreamApiException, InterruptedException;
    }

    static <T> T call(String what, NatsCall<T> c) {
        try {
            return c.run();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HostDeadlineException();
        } catch (IOException | JetStreamApiException | IllegalStateException e) {
            if (Thread.currentThread().isInterrupted()) {
                throw new HostDeadlineException(); // the invocation's deadline, not NATS
            }
            log.debug("key-value: {} failed", what, e);
            throw new KvException(
                    KvException.Kind.UNAVAILABLE,
                    what
                            + " failed: the cluster's key-value store is unreachable (NATS"
                            + " JetStream: "
                            + e.getMessage()
                            + ")");
        }
    }

    /** The admin API's side: unavailable is the API's 503 {@code unavailable}. */
    private static <T> T admin(java.util.function.Supplier<T> call) {
        try {
            return call.get();
        } catch (KvException e) {
            if (e.kind() != KvException.Kind.UNAVAILABLE) {
                throw e;
            }
            throw new KilnException(ErrorCode.UNAVAILABLE, e.getMessage() + "; retry later", e);
        }
    }

    /** Fails at once while NATS is unreachable rather than waiting for a reconnect. */
    private void requireConnected() {
        if (!wire.connected()) {
            throw new KvException(
                    KvException.Kind.UNAVAILABLE,
                    "the cluster's key-value store is unreachable (NATS is disconnected)");
        }
    }

    private static void backOff(int tries) {
        if (tries < 3) {
            return;
        }
        try {
            Thread.sleep(ThreadLocalRandom.current().nextInt(1, 2 + Math.min(tries, 20)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HostDeadlineException();
        }
    }

    private static KvException contended() {
        return new KvException(
                KvException.Kind.UNAVAILABLE, "the key is written too often to update it now");
    }

    private long expiry(long ttlMillis) {
        if (ttlMillis == 0) {
            return 0;
        }
        long now = clock.millis();
        long r = now + ttlMillis;
        return ((now ^ r) & (ttlMillis ^ r)) < 0 ? Long.MAX_VALUE : r;
    }

    private static String natsKey(String service, byte[] key) {
        checkService(service);
        return KvWire.natsKey(service, key);
    }

    /** Service names are subject tokens already ({@code [a-z0-9][a-z0-9_-]*}); guard anyway. */
    static void checkService(String service) {
        if (service.isEmpty() || !service.matches("[A-Za-z0-9_-]+")) {
            throw new KvException(KvException.Kind.INVALID, "bad service name");
        }
    }

    /** A stored counter: a signed 64-bit decimal integer, as kv_increment writes it. */
    private static long parse(byte[] value) {
        String s = new String(value, StandardCharsets.US_ASCII);
        if (value.length == 0 || value.length > 20 || !s.matches("-?[0-9]+")) {
            throw new KvException(KvException.Kind.INVALID, "the value is not an integer");
        }
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new KvException(KvException.Kind.INVALID, "the value is not an integer");
        }
    }
}
