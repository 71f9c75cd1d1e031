package dev.kiln.host.cluster;

import dev.kiln.abi.KvException;
import dev.kiln.host.kv.KvLimits;
import dev.kiln.host.kv.KvUsage;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Each service's keys and bytes in the cluster's key-value store as this node counts them, against
 * the service's limits (docs/adr/0055): the service's last listing, renewed off the write path at
 * most once a second while writes grow the store, plus this node's own writes, each reserved before
 * it is published so that one node's writes together never overshoot.
 */
final class KvServiceCounts {
    private static final Logger log = LoggerFactory.getLogger(KvServiceCounts.class);

    /** How old a service's listing may be when a write that grows the store renews it. */
    static final Duration LISTING_MAX_AGE = Duration.ofSeconds(1);

    private final KvWire wire;
    private final KvLimits limits;
    private final Clock clock;
    private final Consumer<List<KvWire.Listed>> expired;
    private final Map<String, KvServiceKeys> services = new ConcurrentHashMap<>();

    // Listings for the limits, off the write path: at most one per service at a time.
    private final ExecutorService refresher = Executors.newVirtualThreadPerTaskExecutor();

    private final AtomicLong listings = new AtomicLong();

    /**
     * @param expired gets the expired keys a listing meets, to delete them
     */
    KvServiceCounts(
            KvWire wire, KvLimits limits, Clock clock, Consumer<List<KvWire.Listed>> expired) {
        this.wire = wire;
        this.limits = limits;
        this.clock = clock;
        this.expired = expired;
    }

    private KvServiceKeys keysOf(String service) {
        JetStreamKvStore.checkService(service);
        return services.computeIfAbsent(service, s -> new KvServiceKeys());
    }

    /**
     * The service's live keys from the server, sorted by key bytes; renews this node's count of the
     * service. Takes no lock while it reads: the scan takes as long as the service has keys, and
     * writers must not wait for it.
     */
    List<KvWire.Listed> list(String service) {
        KvServiceKeys keys = keysOf(service);
        listings.incrementAndGet();
        synchronized (keys) {
            keys.scanStarted();
        }
        List<KvWire.Listed> all;
        try {
            all = JetStreamKvStore.call("listing keys", () -> wire.scan(service + ".>"));
        } catch (RuntimeException e) {
            synchronized (keys) {
                keys.scanFailed();
            }
            throw e;
        }
        long now = clock.millis();
        List<KvWire.Listed> live = new ArrayList<>(all.size());
        List<KvWire.Listed> gone = new ArrayList<>();
        for (KvWire.Listed l : all) {
            (l.expiresAt() != 0 && l.expiresAt() <= now ? gone : live).add(l);
        }
        int prefix = service.length() + 1;
        Map<String, Long> listed = new HashMap<>();
        for (KvWire.Listed l : live) {
            listed.put(l.natsKey().substring(prefix), keyBytes(l));
        }
        synchronized (keys) {
            keys.scanned(listed, System.nanoTime());
        }
        if (!gone.isEmpty()) {
            expired.accept(gone);
        }
        live.sort(Comparator.comparing(KvWire.Listed::natsKey));
        return live;
    }

    private static long keyBytes(KvWire.Listed l) {
        int dot = l.natsKey().indexOf('.');
        return (l.natsKey().length() - dot - 1) / 2 + l.valueBytes();
    }

    /** The service's keys and bytes, listed now. */
    KvUsage usage(String service) {
        list(service);
        KvServiceKeys keys = keysOf(service);
        synchronized (keys) {
            return keys.usage();
        }
    }

    /**
     * Counts a write of {@code newBytes} (key and value) to the key {@code hex} before it is
     * published; only this node's first write of a service waits for a listing, and one that would
     * not fit lists again before it is refused unless the count is a listing at most {@link
     * #LISTING_MAX_AGE} old (expired keys count until a listing leaves them out).
     *
     * @throws KvException {@code LIMIT} when the service's store is full
     */
    KvServiceKeys.Reservation reserve(String service, String hex, long newBytes) {
        KvServiceKeys keys = keysOf(service);
        boolean relisted = false;
        while (true) {
            synchronized (keys.firstListing) {
                boolean listed;
                synchronized (keys) {
                    listed = keys.listed;
                }
                if (!listed) {
                    list(service); // this node's first write of the service: counted once
                }
            }
            synchronized (keys) {
                Long before = keys.bytesOf.get(hex);
                if (grows(before, newBytes)
                        && System.nanoTime() - keys.listedAt > LISTING_MAX_AGE.toNanos()) {
                    refreshLater(service, keys); // count what other nodes wrote meanwhile
                }
                if (fits(keys.usage(), before, newBytes)) {
                    keys.set(hex, newBytes);
                    var reservation =
                            new KvServiceKeys.Reservation(hex, newBytes, before, keys.listedAt);
                    keys.inFlight.add(reservation);
                    return reservation;
                }
                // A full store refuses on a recent listing: writes that keep hitting the limit
                // must not each read every key of the service.
                if (relisted || System.nanoTime() - keys.listedAt <= LISTING_MAX_AGE.toNanos()) {
                    throw keys.usage().full();
                }
            }
            list(service);
            relisted = true;
        }
    }

    /**
     * A reserved write answered: stored, it stays counted (listings show it from now on). Refused
     * or failed, its key counts what it did before, unless a listing came between: then the key
     * stays counted as written (at worst one key too many) until a listing, started now in the
     * background, counts the service again.
     */
    void settle(String service, KvServiceKeys.Reservation reservation, boolean stored) {
        KvServiceKeys keys = keysOf(service);
        synchronized (keys) {
            keys.inFlight.remove(reservation);
            if (stored) {
                keys.answered(reservation.hex(), reservation.bytes());
                return;
            }
            if (keys.listedAt == reservation.listedAt()) {
                keys.set(reservation.hex(), reservation.before());
            } else {
                // Writes go on with this count rather than wait for a listing: while JetStream
                // recovers from a lost server, listings can time out for a minute, and every
                // write of the service would fail behind them.
                refreshLater(service, keys);
            }
        }
    }

    /** The key {@code hex} was deleted by this node. */
    void deleted(String service, String hex) {
        KvServiceKeys keys = keysOf(service);
        synchronized (keys) {
            keys.answered(hex, null);
        }
    }

    /**
     * Lists the service again on the refresher, unless a listing is already under way; the write
     * that asked goes on with the count it has. Call holding the service's lock.
     */
    private void refreshLater(String service, KvServiceKeys keys) {
        if (keys.refreshing) {
            return;
        }
        keys.refreshing = true;
        refresher.execute(
                () -> {
                    try {
                        list(service);
                    } catch (RuntimeException e) {
                        log.debug("key-value: listing {} for its limits failed", service, e);
                    } finally {
                        synchronized (keys) {
                            keys.refreshing = false;
                        }
                    }
                });
    }

    private static boolean grows(Long before, long newBytes) {
        return before == null || newBytes > before;
    }

    private boolean fits(KvUsage u, Long before, long newBytes) {
        long addKeys = before == null ? 1 : 0;
        long addBytes = newBytes - (before == null ? 0 : before);
        return (addKeys <= 0 || u.keys() + addKeys <= limits.maxKeysPerService())
                && (addBytes <= 0 || u.bytes() + addBytes <= limits.maxBytesPerService());
    }

    /** Listings this node has started, of every service. */
    long listings() {
        return listings.get();
    }

    void close() {
        refresher.shutdownNow();
    }
}
