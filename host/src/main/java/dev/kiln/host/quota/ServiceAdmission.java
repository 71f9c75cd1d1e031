package dev.kiln.host.quota;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The runtime half of service quotas: admits an invocation of a service's function when the service
 * is under its {@code maxConcurrency} and its {@code maxInvocationsPerSecond} bucket has a token.
 * Refusals are immediate (nothing waits), so a tenant over its quota costs the host only the
 * refusal, never a worker or a queue slot another tenant could use.
 *
 * <p>In a cluster (docs/adr/0058) the figures are the cluster's: this node enforces its {@link
 * QuotaShares part} of each (read from memory, no network on the way), and counts the demand its
 * part is weighed by ({@link #demand}).
 */
public final class ServiceAdmission {
    private final QuotaStore quotas;
    private final LongSupplier clock;
    private final QuotaShares shares;
    private final Map<String, State> states = new ConcurrentHashMap<>();

    /** What {@link #admit} decided. */
    public sealed interface Decision permits Admitted, Refusal {}

    /** Admitted: call {@link #release} exactly once when the invocation is done. */
    public static final class Admitted implements Decision {
        static final Admitted UNCOUNTED = new Admitted(null);
        private final AtomicInteger inFlight;

        private Admitted(AtomicInteger inFlight) {
            this.inFlight = inFlight;
        }

        public void release() {
            if (inFlight != null) {
                inFlight.decrementAndGet();
            }
        }
    }

    /**
     * Refused: why ({@code concurrency} or {@code rate}, for metrics), a message safe to show, and
     * when to retry.
     */
    public record Refusal(String reason, String message, long retryAfterSeconds)
            implements Decision {}

    /**
     * One service's in-flight count and rate bucket (rebuilt when its rate changes), and in a
     * cluster what it saw since the last report.
     */
    private static final class State {
        final AtomicInteger inFlight = new AtomicInteger();
        volatile Integer rate;
        volatile double share;
        volatile TokenBucket bucket;
        final AtomicLong arrivals = new AtomicLong();
        final AtomicInteger peakInFlight = new AtomicInteger();
        final AtomicInteger concurrencyRefusals = new AtomicInteger();
        long since; // guarded by demand()'s lock
    }

    /** The single node's admission: every figure is this node's own. */
    public ServiceAdmission(QuotaStore quotas, LongSupplier clock) {
        this(quotas, clock, null);
    }

    /**
     * A cluster node's admission: it enforces its {@code shares} of each figure.
     *
     * @param shares this node's parts of the cluster's quotas, or null on a single node
     */
    public ServiceAdmission(QuotaStore quotas, LongSupplier clock, QuotaShares shares) {
        this.quotas = quotas;
        this.clock = clock;
        this.shares = shares;
    }

    /**
     * Admits one invocation of {@code service}'s function, or says why not. An admitted invocation
     * must {@link Admitted#release} once it is done.
     */
    public Decision admit(String service) {
        ServiceQuota q = quotas.get(service);
        if (q.maxConcurrency() == null && q.maxInvocationsPerSecond() == null) {
            return Admitted.UNCOUNTED;
        }
        State s = states.computeIfAbsent(service, k -> newState());
        QuotaShares.Part part = shares == null ? null : shares.part(service, q);
        if (part != null) {
            s.arrivals.incrementAndGet();
        }
        if (q.maxConcurrency() != null) {
            int limit = part == null ? q.maxConcurrency() : part.concurrency();
            int now = s.inFlight.incrementAndGet();
            if (now > limit) {
                s.inFlight.decrementAndGet();
                if (part != null) {
                    s.concurrencyRefusals.incrementAndGet();
                }
                return new Refusal(
                        "concurrency",
                        "service "
                                + service
                                + " is at its concurrency quota of "
                                + q.maxConcurrency()
                                + " invocations at once"
                                + (part == null ? "" : clusterPart(part.concurrency())),
                        1);
            }
            if (part != null) {
                s.peakInFlight.accumulateAndGet(now, Math::max);
            }
        }
        if (q.maxInvocationsPerSecond() != null) {
            double rate = part == null ? q.maxInvocationsPerSecond() : part.invocationsPerSecond();
            long wait =
                    rate > 0
                            ? bucket(s, q.maxInvocationsPerSecond(), rate)
                                    .tryTake(clock.getAsLong())
                            : 1_000_000_000L;
            if (wait > 0) {
                if (q.maxConcurrency() != null) {
                    s.inFlight.decrementAndGet();
                }
                return new Refusal(
                        "rate",
                        "service "
                                + service
                                + " is over its quota of "
                                + q.maxInvocationsPerSecond()
                                + " invocations per second"
                                + (part == null ? "" : clusterPart(Math.round(rate * 10) / 10.0)),
                        TokenBucket.retryAfterSeconds(wait));
            }
        }
        return q.maxConcurrency() != null ? new Admitted(s.inFlight) : Admitted.UNCOUNTED;
    }

    private static String clusterPart(Object share) {
        return " across the cluster (this node's share now: " + share + ")";
    }

    private State newState() {
        State s = new State();
        s.since = clock.getAsLong();
        return s;
    }

    /** Invocations of {@code service} admitted and not yet released (under a concurrency quota). */
    public int inFlight(String service) {
        State s = states.get(service);
        return s == null ? 0 : s.inFlight.get();
    }

    /**
     * What each service with a quota saw since the last call, and starts counting anew: what a
     * cluster node reports its demand from (docs/adr/0058). Services without a quota now are left
     * out. Counted only in a cluster.
     */
    public synchronized List<QuotaShares.Demand> demand() {
        long now = clock.getAsLong();
        List<QuotaShares.Demand> out = new ArrayList<>();
        for (var e : states.entrySet()) {
            ServiceQuota q = quotas.get(e.getKey());
            State s = e.getValue();
            long arrivals = s.arrivals.getAndSet(0);
            int inFlight = s.inFlight.get();
            int peak = Math.max(inFlight, s.peakInFlight.getAndSet(inFlight));
            int refused = s.concurrencyRefusals.getAndSet(0);
            double seconds = (now - s.since) / 1e9;
            s.since = now;
            if (q.maxConcurrency() != null || q.maxInvocationsPerSecond() != null) {
                out.add(
                        new QuotaShares.Demand(
                                e.getKey(), q, arrivals, seconds, peak, inFlight, refused));
            }
        }
        return out;
    }

    /**
     * A new quota's rate starts with a full bucket; invocations in flight keep counting against the
     * service's concurrency.
     */
    public void quotaChanged(String service) {
        State s = states.get(service);
        if (s != null) {
            synchronized (s) {
                s.rate = null;
                s.bucket = null;
            }
        }
    }

    /**
     * The service's bucket for a figure of {@code figure} per second, of which this node enforces
     * {@code rate} (the figure itself on one node): a new figure starts a full bucket, a new share
     * of the same figure keeps the tokens held.
     */
    private TokenBucket bucket(State s, int figure, double rate) {
        TokenBucket b = s.bucket;
        if (b == null || s.rate == null || s.rate != figure || s.share != rate) {
            synchronized (s) {
                b = s.bucket;
                long now = clock.getAsLong();
                if (b == null || s.rate == null || s.rate != figure) {
                    b = new TokenBucket(rate, Math.max(1, rate), now);
                    s.bucket = b;
                    s.rate = figure;
                    s.share = rate;
                } else if (s.share != rate) {
                    b.resize(rate, Math.max(1, rate), now);
                    s.share = rate;
                }
            }
        }
        return b;
    }
}
