package dev.kiln.host.quota;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * The runtime half of service quotas: admits an invocation of a service's function when the service
 * is under its {@code maxConcurrency} and its {@code maxInvocationsPerSecond} bucket has a token.
 * Refusals are immediate (nothing waits), so a tenant over its quota costs the host only the
 * refusal, never a worker or a queue slot another tenant could use.
 */
public final class ServiceAdmission {
    private final QuotaStore quotas;
    private final LongSupplier clock;
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

    /** One service's in-flight count and rate bucket (rebuilt when its rate changes). */
    private static final class State {
        final AtomicInteger inFlight = new AtomicInteger();
        volatile Integer rate;
        volatile TokenBucket bucket;
    }

    public ServiceAdmission(QuotaStore quotas, LongSupplier clock) {
        this.quotas = quotas;
        this.clock = clock;
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
        State s = states.computeIfAbsent(service, k -> new State());
        if (q.maxConcurrency() != null) {
            if (s.inFlight.incrementAndGet() > q.maxConcurrency()) {
                s.inFlight.decrementAndGet();
                return new Refusal(
                        "concurrency",
                        "service "
                                + service
                                + " is at its concurrency quota of "
                                + q.maxConcurrency()
                                + " invocations at once",
                        1);
            }
        }
        if (q.maxInvocationsPerSecond() != null) {
            long wait = bucket(s, q.maxInvocationsPerSecond()).tryTake(clock.getAsLong());
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
                                + " invocations per second",
                        TokenBucket.retryAfterSeconds(wait));
            }
        }
        return q.maxConcurrency() != null ? new Admitted(s.inFlight) : Admitted.UNCOUNTED;
    }

    /** Invocations of {@code service} admitted and not yet released (under a concurrency quota). */
    public int inFlight(String service) {
        State s = states.get(service);
        return s == null ? 0 : s.inFlight.get();
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

    private TokenBucket bucket(State s, int rate) {
        TokenBucket b = s.bucket;
        if (b == null || s.rate == null || s.rate != rate) {
            synchronized (s) {
                b = s.bucket;
                if (b == null || s.rate == null || s.rate != rate) {
                    b = new TokenBucket(rate, rate, clock.getAsLong());
                    s.bucket = b;
                    s.rate = rate;
                }
            }
        }
        return b;
    }
}
