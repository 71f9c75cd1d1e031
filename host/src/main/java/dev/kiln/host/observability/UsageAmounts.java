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
        long billed = billedMillis(r.durationMicros());
        return new UsageAmounts(
                1,
                r.failed() ? 1 : 0,
                billed,
                (long) r.memoryMiB() * billed,
                r.fuel(),
                r.bytesIn(),
                r.bytesOut());
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
}
