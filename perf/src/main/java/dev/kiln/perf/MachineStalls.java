package dev.kiln.perf;

import dev.kiln.loadgen.Durations;
import java.time.Duration;
import java.util.Locale;

/**
 * How often the machine took a core away from a thread that wanted it: one thread per core spins on
 * the clock, and a gap of over a millisecond between two readings is a stall (the hypervisor,
 * another process or the kernel ran instead). The load average says how many threads wanted a core
 * over the last minute; this says whether ours got one just now — on a shared VM the two disagree
 * (2 cores, load average 0.4, yet 3–5 ms stalls several times a second per core with both busy). It
 * does not see a core that runs slower (a busy neighbour on the same physical core): a quiet
 * verdict is necessary for a trustworthy tail, not sufficient.
 *
 * @param threads spinning threads (one per core)
 * @param seconds how long each spun
 * @param stalls gaps over {@link #STALL} seen by all threads together
 * @param longestMs the longest gap
 * @param stalledPercent the stalls' total length as a share of the threads' spinning time
 */
public record MachineStalls(
        int threads, double seconds, long stalls, double longestMs, double stalledPercent) {

    /** A gap between two clock readings longer than this is a stall. */
    static final Duration STALL = Duration.ofMillis(1);

    /**
     * Over this share of the time stalled, at least as many sub-millisecond requests wait behind a
     * stall, so a p99 measured then is the machine's, not the server's.
     */
    static final double NOISY_PERCENT = 1.0;

    /** Spun before the timed spin, so the loop runs compiled while it is timed. */
    private static final Duration WARM_UP = Duration.ofMillis(300);

    /** Spins one thread per core for {@code length} (after a short warm-up) and reports. */
    public static MachineStalls measure(Duration length) throws InterruptedException {
        return measure(Runtime.getRuntime().availableProcessors(), length);
    }

    static MachineStalls measure(int threads, Duration length) throws InterruptedException {
        return measure(threads, length, () -> {});
    }

    /** As {@link #measure(int, Duration)}, running {@code warmedUp} between warm-up and timing. */
    private static MachineStalls measure(int threads, Duration length, Runnable warmedUp)
            throws InterruptedException {
        spinAll(threads, WARM_UP);
        warmedUp.run();
        return summarise(threads, length, spinAll(threads, length));
    }

    /** Whether stalls were rare enough for a tail latency measured now to be the server's. */
    public boolean quiet() {
        return stalledPercent < NOISY_PERCENT;
    }

    /**
     * One line for a report, e.g. {@code 2 threads spinning 10.0 s each: 227 stalls over 1 ms (11.4
     * a second per thread), longest 5.4 ms, 1.80 % of the time stalled: not quiet (...)}.
     */
    public String describe() {
        return String.format(
                Locale.ROOT,
                "%d threads spinning %.1f s each: %d stalls over %d ms (%.1f a second per thread),"
                        + " longest %.1f ms, %.2f %% of the time stalled%s",
                threads,
                seconds,
                stalls,
                STALL.toMillis(),
                seconds == 0 ? 0 : stalls / (threads * seconds),
                longestMs,
                stalledPercent,
                quiet() ? "" : ": not quiet (tail latencies are the machine's)");
    }

    /** Gaps over {@link #STALL} in one thread's clock readings. */
    static final class Gaps {
        long count;
        long longest;
        long total;

        /** Records the gap between two consecutive readings. */
        void gap(long nanos) {
            if (nanos > STALL.toNanos()) {
                count++;
                total += nanos;
                longest = Math.max(longest, nanos);
            }
        }

        void add(Gaps other) {
            count += other.count;
            total += other.total;
            longest = Math.max(longest, other.longest);
        }
    }

    private static Gaps[] spinAll(int threads, Duration length) throws InterruptedException {
        Gaps[] gaps = new Gaps[threads];
        Thread[] spinners = new Thread[threads];
        long end = System.nanoTime() + length.toNanos();
        for (int i = 0; i < threads; i++) {
            Gaps g = new Gaps();
            gaps[i] = g;
            spinners[i] = new Thread(() -> spin(end, g), "stall-probe-" + i);
            spinners[i].setDaemon(true);
            spinners[i].start();
        }
        for (Thread t : spinners) {
            t.join();
        }
        return gaps;
    }

    private static void spin(long end, Gaps gaps) {
        long last = System.nanoTime();
        while (last < end) {
            long now = System.nanoTime();
            gaps.gap(now - last);
            last = now;
        }
    }

    /**
     * {@code MachineStalls [threads] [duration]}: prints {@code measuring} when the timed spin
     * starts, then {@link #describe()}. perf/invoke-soak runs it before and after each load.
     */
    public static void main(String[] args) throws InterruptedException {
        int threads =
                args.length > 0
                        ? Integer.parseInt(args[0])
                        : Runtime.getRuntime().availableProcessors();
        Duration length = args.length > 1 ? Durations.parse(args[1]) : Duration.ofSeconds(10);
        MachineStalls stalls =
                measure(
                        threads,
                        length,
                        () -> {
                            System.out.println("measuring");
                            System.out.flush();
                        });
        System.out.println(stalls.describe());
    }

    private static MachineStalls summarise(int threads, Duration length, Gaps[] gaps) {
        Gaps all = new Gaps();
        for (Gaps g : gaps) {
            all.add(g);
        }
        double spunNanos = (double) threads * length.toNanos();
        return new MachineStalls(
                threads,
                length.toNanos() / 1e9,
                all.count,
                all.longest / 1e6,
                spunNanos == 0 ? 0 : 100.0 * all.total / spunNanos);
    }
}
