package dev.kiln.perf.soak;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The verdict on synthetic intervals: what passes as flat and what is caught growing. */
class SoakVerdictTest {
    private static final long MIB = 1024 * 1024;
    private static final SoakSettings SETTINGS = SoakSettings.defaults();

    private static Interval interval(
            int index, double echoP99Ms, long heapMiB, long threads, long unexpected) {
        return new Interval(
                index,
                index * 10.0,
                List.of(
                        new Interval.KindFigures(
                                "echo", false, 1000, 0, 1, echoP99Ms, 2 * echoP99Ms, Map.of(), 0),
                        new Interval.KindFigures(
                                "trap", true, 50, 0, 1, 2, 3, Map.of("guest_trap", 50.0), 0)),
                unexpected > 0 ? List.of("echo: statuses {503=1}") : List.of(),
                unexpected,
                0,
                new Uploader.Tally(2, 0, null, 40),
                0,
                heapMiB * MIB,
                30 * MIB,
                threads,
                10 * MIB,
                50,
                1);
    }

    private static List<Interval> series(
            double[] p99, long[] heapMiB, long[] threads, long[] unexpected) {
        List<Interval> all = new ArrayList<>();
        for (int i = 0; i < p99.length; i++) {
            all.add(interval(i + 1, p99[i], heapMiB[i], threads[i], unexpected[i]));
        }
        return all;
    }

    private static Map<String, Boolean> judge(List<Interval> intervals, long afterLoad) {
        Map<String, Boolean> passed = new java.util.LinkedHashMap<>();
        for (SoakVerdict.Check c :
                SoakVerdict.judge(SETTINGS, intervals, afterLoad, List.of(), List.of("echo"))) {
            passed.put(c.name(), c.passed());
        }
        return passed;
    }

    @Test
    void aSteadyRunPassesEveryCheckDespiteOneNoisyInterval() {
        List<Interval> steady =
                series(
                        new double[] {20, 22, 400, 21, 19, 23},
                        new long[] {40, 41, 40, 42, 41, 40},
                        new long[] {30, 30, 31, 30, 30, 30},
                        new long[] {0, 0, 0, 0, 0, 0});
        assertThat(judge(steady, 0)).doesNotContainValue(false).hasSize(5);
    }

    @Test
    void growthAndErrorsAreCaught() {
        List<Interval> leaking =
                series(
                        new double[] {20, 22, 30, 45, 60, 80},
                        new long[] {40, 45, 52, 60, 68, 75},
                        new long[] {30, 31, 33, 36, 38, 40},
                        new long[] {0, 0, 1, 0, 0, 0});
        assertThat(judge(leaking, 0))
                .containsEntry("errors outside the hostile guests", false)
                .containsEntry("hostile guests refused with their codes", true)
                .containsEntry("p99 flat: echo", false)
                .containsEntry("heap after GC flat", false)
                .containsEntry("threads flat", false);
        assertThat(SoakVerdict.slopePerMinute(leaking, i -> SoakVerdict.mib(i.heapAfterGcBytes())))
                .isBetween(40.0, 50.0); // ~7 MiB per 10 s interval
    }

    @Test
    void errorsAfterTheLoadFailTheRunAndSubMillisecondP99sAreFlat() {
        List<Interval> quick =
                series(
                        new double[] {0.4, 0.5, 0.4, 0.9, 1.2, 1.1},
                        new long[] {40, 40, 40, 40, 40, 40},
                        new long[] {30, 30, 30, 30, 30, 30},
                        new long[] {0, 0, 0, 0, 0, 0});
        Map<String, Boolean> passed = judge(quick, 3);
        assertThat(passed).containsEntry("errors outside the hostile guests", false);
        // × 2.5, but under the 5 ms floor: noise, not a trend.
        assertThat(passed).containsEntry("p99 flat: echo", true);
    }
}
