package dev.kiln.host.pool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.core.FunctionName;
import dev.kiln.host.pool.EvictionPolicy.Candidate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/**
 * The rules of {@link EvictionPolicy} over generated idle instances. Idle-since times are {@link
 * System#nanoTime()} values, so they are generated around an arbitrary origin (the wrap included)
 * and compared by difference, as the policy does.
 */
class EvictionPolicyPropertiesTest {
    static final List<FunctionName> FUNCTIONS =
            Stream.of("s/a", "s/b", "s/c", "t/a").map(FunctionName::parse).toList();

    /** Idle instances: unique refs, idle-since times within 2^40 ns of a random origin. */
    @Provide
    Arbitrary<List<Candidate<Integer>>> idle() {
        Arbitrary<long[]> one =
                Combinators.combine(
                                Arbitraries.integers().between(0, FUNCTIONS.size() - 1),
                                Arbitraries.longs().between(0, 1L << 40),
                                Arbitraries.longs().between(0, 1_000))
                        .as((f, offset, bytes) -> new long[] {f, offset, bytes});
        return Combinators.combine(one.list().ofMaxSize(30), Arbitraries.longs())
                .as(
                        (rows, origin) -> {
                            List<Candidate<Integer>> out = new ArrayList<>();
                            for (int i = 0; i < rows.size(); i++) {
                                long[] r = rows.get(i);
                                out.add(
                                        new Candidate<>(
                                                i, FUNCTIONS.get((int) r[0]), origin + r[1], r[2]));
                            }
                            return out;
                        });
    }

    @Provide
    Arbitrary<FunctionName> requesters() {
        return Arbitraries.of(FUNCTIONS).injectNull(0.25);
    }

    private static boolean eligible(Candidate<Integer> c, FunctionName requester) {
        return c.bytes() > 0 && !c.function().equals(requester);
    }

    private static long sum(List<Candidate<Integer>> cs) {
        return cs.stream().mapToLong(Candidate::bytes).sum();
    }

    @Property
    void budgetEvictionFreesEnoughOrNothingAndNeverTheRequestersOwn(
            @ForAll("idle") List<Candidate<Integer>> idle,
            @ForAll("requesters") FunctionName requester,
            @ForAll @LongRange(min = -10, max = 20_000) long needed) {
        List<Candidate<Integer>> chosen = EvictionPolicy.choose(idle, needed, requester);
        long available =
                idle.stream().filter(c -> eligible(c, requester)).mapToLong(Candidate::bytes).sum();
        assertThat(chosen).allMatch(c -> eligible(c, requester));
        assertThat(chosen).doesNotHaveDuplicates();
        if (needed <= 0 || available < needed) {
            assertThat(chosen).isEmpty();
        } else {
            assertThat(sum(chosen)).isGreaterThanOrEqualTo(needed);
            // No more than needed: without the last one chosen, it would not have been enough.
            assertThat(sum(chosen) - chosen.getLast().bytes()).isLessThan(needed);
        }
    }

    @Property
    void budgetEvictionTakesTheLeastRecentlyUsedFirst(
            @ForAll("idle") List<Candidate<Integer>> idle,
            @ForAll("requesters") FunctionName requester,
            @ForAll @LongRange(min = 1, max = 20_000) long needed) {
        List<Candidate<Integer>> chosen = EvictionPolicy.choose(idle, needed, requester);
        for (int i = 1; i < chosen.size(); i++) {
            assertThat(chosen.get(i).idleSinceNanos() - chosen.get(i - 1).idleSinceNanos())
                    .isGreaterThanOrEqualTo(0);
        }
        Set<Candidate<Integer>> taken = new HashSet<>(chosen);
        for (Candidate<Integer> left : idle) {
            if (eligible(left, requester) && !taken.contains(left)) {
                for (Candidate<Integer> c : chosen) {
                    // Nothing left behind was idle longer than anything taken.
                    assertThat(left.idleSinceNanos() - c.idleSinceNanos())
                            .isGreaterThanOrEqualTo(0);
                }
            }
        }
    }

    @Property
    void theHostLimitEvictsTheInstanceIdleTheLongest(
            @ForAll("idle") List<Candidate<Integer>> idle) {
        Candidate<Integer> oldest = EvictionPolicy.oldest(idle);
        if (idle.isEmpty()) {
            assertThat(oldest).isNull();
            return;
        }
        assertThat(idle).contains(oldest);
        int at = idle.indexOf(oldest);
        for (int i = 0; i < idle.size(); i++) {
            long diff = idle.get(i).idleSinceNanos() - oldest.idleSinceNanos();
            assertThat(diff).isGreaterThanOrEqualTo(0);
            if (i < at) {
                assertThat(diff).as("the first of equals wins").isPositive();
            }
        }
    }

    @Property
    void theIdleTtlClosesOnlyExpiredInstancesAndKeepsTheMinimum(
            @ForAll("idle") List<Candidate<Integer>> idle,
            @ForAll @IntRange(min = 0, max = 40) int leased,
            @ForAll @IntRange(min = 0, max = 40) int minInstances,
            @ForAll @LongRange(min = 0, max = 1L << 40) long cutoffOffset) {
        List<Long> since =
                idle.stream()
                        .map(Candidate::idleSinceNanos)
                        .sorted((a, b) -> Long.signum(a - b))
                        .toList();
        long origin = since.isEmpty() ? 0 : since.getFirst();
        long cutoff = origin + cutoffOffset;
        int live = since.size() + leased;
        int n = EvictionPolicy.expired(since, live, minInstances, cutoff);
        assertThat(n).isBetween(0, since.size());
        if (live <= minInstances) {
            assertThat(n).isZero();
        } else {
            assertThat(live - n).isGreaterThanOrEqualTo(minInstances);
        }
        for (int i = 0; i < n; i++) {
            assertThat(since.get(i) - cutoff)
                    .as("only instances idle past the TTL")
                    .isLessThanOrEqualTo(0);
        }
        if (n < since.size()) {
            // It stopped for a reason: the minimum, or the next one is not expired yet.
            assertThat(live - n <= minInstances || since.get(n) - cutoff > 0).isTrue();
        }
    }
}
