package dev.kiln.host.pool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.core.FunctionName;
import dev.kiln.host.pool.EvictionPolicy.Candidate;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which idle instances make room in the memory budget. */
class EvictionPolicyTest {
    private static Candidate<String> idle(String name, String function, long since, long bytes) {
        return new Candidate<>(name, FunctionName.parse(function), since, bytes);
    }

    private static List<String> names(List<Candidate<String>> chosen) {
        return chosen.stream().map(Candidate::ref).toList();
    }

    @Test
    void leastRecentlyUsedFirstUntilEnoughIsFreed() {
        var candidates =
                List.of(
                        idle("newest", "s/a", 300, 10),
                        idle("oldest", "s/b", 100, 10),
                        idle("middle", "s/c", 200, 10));
        assertThat(names(EvictionPolicy.choose(candidates, 15, new FunctionName("s", "x"))))
                .containsExactly("oldest", "middle");
        assertThat(names(EvictionPolicy.choose(candidates, 10, new FunctionName("s", "x"))))
                .containsExactly("oldest");
    }

    @Test
    void neverTheRequestersOwnInstances() {
        var candidates = List.of(idle("mine", "s/me", 1, 100), idle("theirs", "s/b", 2, 100));
        assertThat(names(EvictionPolicy.choose(candidates, 50, new FunctionName("s", "me"))))
                .containsExactly("theirs");
    }

    @Test
    void nothingWhenEvenAllTogetherWouldNotMakeRoom() {
        var candidates = List.of(idle("a", "s/a", 1, 10), idle("b", "s/b", 2, 10));
        assertThat(EvictionPolicy.choose(candidates, 21, null)).isEmpty();
        assertThat(names(EvictionPolicy.choose(candidates, 20, null))).containsExactly("a", "b");
    }

    @Test
    void nothingWhenNothingIsNeededOrNothingIsHeld() {
        assertThat(EvictionPolicy.choose(List.of(idle("a", "s/a", 1, 10)), 0, null)).isEmpty();
        assertThat(EvictionPolicy.choose(List.of(idle("a", "s/a", 1, 0)), 1, null)).isEmpty();
    }

    @Test
    void idleSinceIsComparedAcrossTheNanoTimeWrap() {
        long before = Long.MAX_VALUE - 5; // became idle just before nanoTime wrapped
        long after = Long.MIN_VALUE + 5;
        var candidates =
                List.of(idle("after", "s/a", after, 10), idle("before", "s/b", before, 10));
        assertThat(names(EvictionPolicy.choose(candidates, 10, null))).containsExactly("before");
    }
}
