package dev.kiln.host.observability;

/**
 * What usage adds up, all exact integers (docs/adr/0043). GB-seconds are kept as MiB-milliseconds
 * (memory setting × billed duration) so that sums stay exact; {@link #gbSeconds} converts.
 *
 * @param billedMs each invocation's duration rounded up to the next whole millisecond (at least 1)
 * @param mibMs each invocation's memory setting in MiB × its billed milliseconds
 */
public record UsageAmounts(
        long invocations,
        long errors,
        long billedMs,
        long mibMs,
        long fuel,
        long bytesIn,
        long bytesOut) {
    public static final UsageAmounts ZERO = new UsageAmounts(0, 0, 0, 0, 0, 0, 0);

    /** What one invocation record adds. */
    public static UsageAmounts of(InvocationRecord r) {
        Tally t = new Tally();
        t.add(r);
        return t.amounts();
    }

    /** A duration rounded up to whole milliseconds, at least one: what an invocation is billed. */
    public static long billedMillis(long durationMicros) {
        return Math.max(1, (Math.max(0, durationMicros) + 999) / 1000);
    }

    public UsageAmounts plus(UsageAmounts o) {
        return new UsageAmounts(
                invocations + o.invocations,
                errors + o.errors,
                billedMs + o.billedMs,
                mibMs + o.mibMs,
                fuel + o.fuel,
                bytesIn + o.bytesIn,
                bytesOut + o.bytesOut);
    }

    /** Memory setting in GiB × billed seconds (what the API calls GB-seconds, as clouds do). */
    public double gbSeconds() {
        return mibMs / (1024.0 * 1000.0);
    }

    /** Adds records up in place: a batch's usage without an object per record. */
    static final class Tally {
        private long invocations;
        private long errors;
        private long billedMs;
        private long mibMs;
        private long fuel;
        private long bytesIn;
        private long bytesOut;

        void add(InvocationRecord r) {
            long billed = billedMillis(r.durationMicros());
            invocations++;
            errors += r.failed() ? 1 : 0;
            billedMs += billed;
            mibMs += (long) r.memoryMiB() * billed;
            fuel += r.fuel();
            bytesIn += r.bytesIn();
            bytesOut += r.bytesOut();
        }

        UsageAmounts amounts() {
            return new UsageAmounts(invocations, errors, billedMs, mibMs, fuel, bytesIn, bytesOut);
        }
    }
}
