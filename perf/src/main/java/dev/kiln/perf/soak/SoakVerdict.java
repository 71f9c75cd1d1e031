package dev.kiln.perf.soak;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * Judges a soak: no errors outside the hostile guests, and p99, heap after GC and thread count as
 * flat at the end as at the start. "Start" and "end" are the first and last third of the intervals
 * (at least one each), compared by their medians so one noisy interval does not decide.
 */
final class SoakVerdict {
    private SoakVerdict() {}

    /** One check: what it compares, whether it passed, the figures. */
    record Check(String name, boolean passed, String detail) {}

    static List<Check> judge(
            SoakSettings s,
            List<Interval> intervals,
            long unexpectedAfterLoad,
            List<String> afterLoadProblems,
            List<String> flatKinds) {
        List<Check> checks = new ArrayList<>();
        long unexpected =
                intervals.stream().mapToLong(Interval::unexpected).sum() + unexpectedAfterLoad;
        List<String> problems = new ArrayList<>();
        intervals.forEach(
                i ->
                        i.problems()
                                .forEach(
                                        p -> problems.add("t=" + (int) i.endSeconds() + "s " + p)));
        problems.addAll(afterLoadProblems);
        checks.add(
                new Check(
                        "errors outside the hostile guests",
                        unexpected == 0,
                        unexpected
                                + (problems.isEmpty()
                                        ? ""
                                        : " — "
                                                + String.join(
                                                        "; ",
                                                        problems.subList(
                                                                0,
                                                                Math.min(5, problems.size()))))));
        long refused = intervals.stream().mapToLong(Interval::hostileRefused).sum();
        checks.add(
                new Check(
                        "hostile guests refused with their codes",
                        refused > 0,
                        refused + " refusals, each with the expected status and outcome"));
        for (String kind : flatKinds) {
            // Only intervals in which the kind was answered (a run cut short has none at its end).
            List<Interval> answered =
                    intervals.stream()
                            .filter(i -> i.kind(kind) != null && i.kind(kind).answered() > 0)
                            .toList();
            double first = median(third(answered, true), i -> p99(i, kind));
            double last = median(third(answered, false), i -> p99(i, kind));
            boolean flat =
                    answered.size() >= 2
                            && (last <= s.p99FloorMs() || last <= first * s.p99Ratio());
            checks.add(
                    new Check(
                            "p99 flat: " + kind,
                            flat,
                            String.format(
                                    Locale.ROOT,
                                    "first third %.2f ms, last third %.2f ms (× %.2f; allowed ×"
                                            + " %.2f, or under %.1f ms); %d intervals with"
                                            + " answers",
                                    first,
                                    last,
                                    first > 0 ? last / first : 0,
                                    s.p99Ratio(),
                                    s.p99FloorMs(),
                                    answered.size())));
        }
        double heapFirst = median(third(intervals, true), i -> mib(i.heapAfterGcBytes()));
        double heapLast = median(third(intervals, false), i -> mib(i.heapAfterGcBytes()));
        checks.add(
                new Check(
                        "heap after GC flat",
                        heapLast <= heapFirst * (1 + s.heapGrowth()) + s.heapSlackMiB(),
                        String.format(
                                Locale.ROOT,
                                "first third %.1f MiB, last third %.1f MiB (allowed +%.0f %% +"
                                        + " %.0f MiB); trend %+.2f MiB/min over all intervals",
                                heapFirst,
                                heapLast,
                                100 * s.heapGrowth(),
                                s.heapSlackMiB(),
                                slopePerMinute(intervals, i -> mib(i.heapAfterGcBytes())))));
        double threadsFirst =
                third(intervals, true).stream().mapToLong(Interval::threads).max().orElse(0);
        double threadsLast =
                third(intervals, false).stream().mapToLong(Interval::threads).max().orElse(0);
        checks.add(
                new Check(
                        "threads flat",
                        threadsLast <= threadsFirst + s.threadSlack(),
                        String.format(
                                Locale.ROOT,
                                "most in the first third %.0f, in the last third %.0f (allowed"
                                        + " +%d)",
                                threadsFirst,
                                threadsLast,
                                s.threadSlack())));
        return checks;
    }

    private static double p99(Interval i, String kind) {
        Interval.KindFigures k = i.kind(kind);
        return k == null ? 0 : k.p99Ms();
    }

    static double mib(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }

    /** The first or last third of the intervals, at least one. */
    static List<Interval> third(List<Interval> intervals, boolean first) {
        int k = Math.max(1, intervals.size() / 3);
        return first
                ? intervals.subList(0, Math.min(k, intervals.size()))
                : intervals.subList(Math.max(0, intervals.size() - k), intervals.size());
    }

    static double median(List<Interval> intervals, ToDoubleFunction<Interval> f) {
        double[] v = intervals.stream().mapToDouble(f).sorted().toArray();
        if (v.length == 0) {
            return 0;
        }
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** Least-squares slope of {@code f} against the intervals' end times, per minute. */
    static double slopePerMinute(List<Interval> intervals, ToDoubleFunction<Interval> f) {
        if (intervals.size() < 2) {
            return 0;
        }
        double[] x = intervals.stream().mapToDouble(i -> i.endSeconds() / 60).toArray();
        double[] y = intervals.stream().mapToDouble(f).toArray();
        double mx = Arrays.stream(x).average().orElse(0);
        double my = Arrays.stream(y).average().orElse(0);
        double num = 0;
        double den = 0;
        for (int i = 0; i < x.length; i++) {
            num += (x[i] - mx) * (y[i] - my);
            den += (x[i] - mx) * (x[i] - mx);
        }
        return den == 0 ? 0 : num / den;
    }
}
