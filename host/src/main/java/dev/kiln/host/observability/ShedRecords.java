package dev.kiln.host.observability;

import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Invocation records the store could not keep: counted by reason in {@code
 * kiln_records_dropped_total}, logged at most once a minute, and their usage held until the
 * writer's next transaction adds it to the ledger, so usage stays exact when history gives way
 * (docs/adr/0062).
 */
final class ShedRecords {
    private static final Logger log = LoggerFactory.getLogger(InvocationStore.class);

    /** Why records were dropped; the metric's {@code reason} label. */
    enum Reason {
        /** The writer's queue was full (requests never wait for it). */
        QUEUE_FULL,
        /** The disk was below its free-space floor. */
        DISK_LOW,
        /** SQLite refused the batch. */
        WRITE_FAILED,
        /** The store closed before the writer reached them. */
        CLOSING;

        String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Per reason: dropped in all, and since the last log line. */
    private record Tally(AtomicLong total, AtomicLong unlogged) {}

    private final Map<Reason, Tally> tallies = new EnumMap<>(Reason.class);
    private final LogGate gate = new LogGate(Duration.ofMinutes(1));
    private final Map<UsageLedger.Bucket, UsageAmounts> usage = new HashMap<>(); // guarded by it

    ShedRecords() {
        for (Reason r : Reason.values()) {
            tallies.put(r, new Tally(new AtomicLong(), new AtomicLong()));
        }
    }

    /** Drops {@code records}, keeping their usage for the ledger. */
    void shed(List<InvocationRecord> records, Reason reason) {
        if (records.isEmpty()) {
            return;
        }
        keep(UsageLedger.sums(records));
        count(records.size(), reason);
    }

    /**
     * Counts {@code n} records dropped whose usage is kept elsewhere or not this node's to keep
     * (another node's records, which that node's ledger has).
     */
    void count(int n, Reason reason) {
        Tally t = tallies.get(reason);
        t.total().addAndGet(n);
        t.unlogged().addAndGet(n);
        logIfDue();
    }

    /** Holds usage for the next transaction (also what a failed transaction gives back). */
    void keep(Map<UsageLedger.Bucket, UsageAmounts> sums) {
        synchronized (usage) {
            sums.forEach((b, a) -> usage.merge(b, a, UsageAmounts::plus));
        }
    }

    /** The usage held, now owned by the caller's transaction (empty when none is held). */
    Map<UsageLedger.Bucket, UsageAmounts> take() {
        synchronized (usage) {
            if (usage.isEmpty()) {
                return Map.of();
            }
            var out = new HashMap<>(usage);
            usage.clear();
            return out;
        }
    }

    long total() {
        long sum = 0;
        for (Tally t : tallies.values()) {
            sum += t.total().get();
        }
        return sum;
    }

    void register(Metrics metrics) {
        metrics.counter(
                "kiln_records_dropped_total",
                "Invocation records not stored, by reason (their usage is still counted).",
                List.of("reason"),
                sink -> {
                    for (Reason r : Reason.values()) {
                        sink.add(tallies.get(r).total().get(), r.wire());
                    }
                });
    }

    /** Logs what was dropped since the last line, at most once a minute (the writer's idle too). */
    void logIfDue() {
        if (!unlogged() || !gate.pass()) {
            return; // nothing to say yet keeps the gate open: the first drop speaks at once
        }
        StringJoiner what = new StringJoiner(", ");
        for (Reason r : Reason.values()) {
            long n = tallies.get(r).unlogged().getAndSet(0);
            if (n > 0) {
                what.add(n + " " + r.wire());
            }
        }
        log.warn(
                "invocation records dropped since the last report: {}; their usage is still"
                        + " counted ({} in all, see kiln_records_dropped_total)",
                what,
                total());
    }

    private boolean unlogged() {
        for (Tally t : tallies.values()) {
            if (t.unlogged().get() > 0) {
                return true;
            }
        }
        return false;
    }
}
