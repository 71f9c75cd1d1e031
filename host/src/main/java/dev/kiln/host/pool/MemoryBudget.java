package dev.kiln.host.pool;

import dev.kiln.host.core.FunctionName;
import dev.kiln.host.observability.Metrics;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * The host-wide memory budget (docs/adr/0028-memory-budget-and-per-version-snapshots.md): what the
 * host's guests hold in the heap, by {@link Kind}, against one limit, like the totals of wasmtime's
 * pooling allocator. Whatever would go over it is refused with a {@link MemoryBudgetException}
 * after the {@link Evictor} has closed what idle instances it could.
 *
 * <p>The figures are estimates of what is really held, kept in step by the pools as things are
 * created and dropped (see {@link MemoryEstimates}); request buffers are read from an outside
 * source ({@link #countRequestBuffers}), counted in the total but never reserved here.
 */
public final class MemoryBudget {
    /** What the budget counts. */
    public enum Kind {
        /** Post-init snapshots, one per function version: non-zero chunks, held once. */
        SNAPSHOTS,
        /** Live instances: their private memory chunks, chunk tables and a fixed overhead. */
        INSTANCES,
        /** Compiled code held in memory: an estimate from the module's size. */
        COMPILED_CODE,
        /** Request bodies being buffered, as reported by the HTTP layer. */
        REQUEST_BUFFERS;

        /** The label value on /metrics. */
        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Closes idle instances to free at least some bytes; returns what it freed (0: nothing). */
    @FunctionalInterface
    public interface Evictor {
        long free(long neededBytes, FunctionName requester);
    }

    /** Rounds of evict-and-retry before refusing: others may take the room we freed. */
    private static final int ATTEMPTS = 4;

    private final long limitBytes;
    private final AtomicLong held = new AtomicLong();
    private final Map<Kind, AtomicLong> byKind = new EnumMap<>(Kind.class);
    private final Map<Kind, LongAdder> refusals = new EnumMap<>(Kind.class);
    private volatile LongSupplier requestBuffers = () -> 0;
    private volatile Evictor evictor = (needed, requester) -> 0;

    /**
     * @param limitBytes the budget; every kind together stays at or below it
     */
    public MemoryBudget(long limitBytes, Metrics metrics) {
        if (limitBytes <= 0) {
            throw new IllegalArgumentException("the memory budget must be positive");
        }
        this.limitBytes = limitBytes;
        for (Kind k : Kind.values()) {
            byKind.put(k, new AtomicLong());
        }
        metrics.gauge(
                "kiln_memory_budget_bytes",
                "The host-wide memory budget for snapshots, instances, compiled code and request"
                        + " buffers (--memory-budget-mib).",
                List.of(),
                sink -> sink.add((double) limitBytes));
        metrics.gauge(
                "kiln_memory_budget_used_bytes",
                "Bytes counted against the memory budget, by kind: snapshots, instances,"
                        + " compiled_code (estimated), request_buffers.",
                List.of("kind"),
                sink -> {
                    for (Kind k : Kind.values()) {
                        sink.add((double) used(k), k.wire());
                    }
                });
        Metrics.Counter refused =
                metrics.counter(
                        "kiln_memory_budget_refusals_total",
                        "Uploads, instances and compilations refused because the memory budget"
                                + " was used up even after evicting idle instances, by kind.",
                        "kind");
        for (Kind k : Kind.values()) {
            refusals.put(k, refused.bind(k.wire()));
        }
    }

    /** The budget, in bytes. */
    public long limitBytes() {
        return limitBytes;
    }

    /** Bytes counted now, all kinds together. */
    public long used() {
        return held.get() + requestBuffers();
    }

    /** Bytes counted now of one kind. */
    public long used(Kind kind) {
        return kind == Kind.REQUEST_BUFFERS ? requestBuffers() : byKind.get(kind).get();
    }

    /**
     * Where request buffers are counted: the HTTP layer's buffered request bytes. Until it is set,
     * they count as 0. They are part of the total every reservation is checked against, but never
     * reserved or refused here: the HTTP layer bounds them itself.
     */
    public void countRequestBuffers(LongSupplier source) {
        this.requestBuffers = source;
    }

    /** Who closes idle instances when a reservation does not fit (set once by the pools). */
    void evictor(Evictor e) {
        this.evictor = e;
    }

    private long requestBuffers() {
        return Math.max(0, requestBuffers.getAsLong());
    }

    /** Counts {@code bytes} more of {@code kind} if they fit now; never evicts. */
    boolean tryReserve(Kind kind, long bytes) {
        if (bytes <= 0) {
            return true;
        }
        long outside = requestBuffers();
        while (true) {
            long now = held.get();
            if (now + outside + bytes > limitBytes) {
                return false;
            }
            if (held.compareAndSet(now, now + bytes)) {
                byKind.get(kind).addAndGet(bytes);
                return true;
            }
        }
    }

    /**
     * Counts {@code bytes} more of {@code kind}, closing idle instances of functions other than
     * {@code requester} (least recently used first) if they do not fit.
     *
     * @throws MemoryBudgetException when they do not fit even then
     */
    void reserve(Kind kind, long bytes, FunctionName requester) {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            if (tryReserve(kind, bytes)) {
                return;
            }
            long missing = used() + bytes - limitBytes;
            if (missing > 0 && evictor.free(missing, requester) <= 0) {
                break;
            }
        }
        if (tryReserve(kind, bytes)) {
            return;
        }
        refusals.get(kind).increment();
        throw new MemoryBudgetException(
                kind,
                "the host's memory budget of "
                        + mib(limitBytes)
                        + " MiB has no room for "
                        + mib(bytes)
                        + " MiB more of "
                        + kind.wire().replace('_', ' ')
                        + "; retry later or delete unused functions");
    }

    /** Counts {@code bytes} more without checking: for figures that grew and cannot be refused. */
    void force(Kind kind, long bytes) {
        if (bytes > 0) {
            held.addAndGet(bytes);
            byKind.get(kind).addAndGet(bytes);
        }
    }

    /** Gives back {@code bytes} of {@code kind}. */
    void release(Kind kind, long bytes) {
        if (bytes > 0) {
            held.addAndGet(-bytes);
            byKind.get(kind).addAndGet(-bytes);
        }
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f", bytes / (1024.0 * 1024.0));
    }
}
