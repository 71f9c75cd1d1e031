package dev.kiln.host.quota;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TokenBucketTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void aFullBucketAdmitsItsBurstThenRefusesWithTheWaitForTheNextToken() {
        TokenBucket b = new TokenBucket(10, 10, 0);
        for (int i = 0; i < 10; i++) {
            assertThat(b.tryTake(0)).isZero();
        }
        long wait = b.tryTake(0);
        assertThat(wait).isEqualTo(SECOND / 10);
        assertThat(b.tryTake(wait - 1)).isPositive();
        assertThat(b.tryTake(wait)).isZero();
    }

    @Test
    void refillIsCappedAtCapacity() {
        TokenBucket b = new TokenBucket(5, 2, 0);
        // A long idle time brings back two tokens, not fifty.
        assertThat(b.tryTake(10 * SECOND)).isZero();
        assertThat(b.tryTake(10 * SECOND)).isZero();
        assertThat(b.tryTake(10 * SECOND)).isPositive();
        assertThat(b.isFull(10 * SECOND)).isFalse();
        assertThat(b.isFull(11 * SECOND)).isTrue();
    }

    @Test
    void aResizedBucketKeepsItsTokensWithinTheNewCapacityAndRefillsAtTheNewRate() {
        TokenBucket b = new TokenBucket(10, 10, 0);
        for (int i = 0; i < 8; i++) {
            assertThat(b.tryTake(0)).isZero();
        }
        // two tokens held: growing hands out no new burst
        b.resize(20, 20, 0);
        assertThat(b.tryTake(0)).isZero();
        assertThat(b.tryTake(0)).isZero();
        assertThat(b.tryTake(0)).isEqualTo(SECOND / 20);
        // shrinking drops what the new capacity cannot hold
        b.resize(2, 2, SECOND);
        assertThat(b.tryTake(SECOND)).isZero();
        assertThat(b.tryTake(SECOND)).isZero();
        assertThat(b.tryTake(SECOND)).isEqualTo(SECOND / 2);
        assertThatThrownBy(() -> b.resize(0, 1, SECOND))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aClockGoingBackwardsAddsNothing() {
        TokenBucket b = new TokenBucket(1, 1, 5 * SECOND);
        assertThat(b.tryTake(5 * SECOND)).isZero();
        assertThat(b.tryTake(4 * SECOND)).isPositive();
        assertThat(b.tryTake(5 * SECOND + SECOND / 2)).isPositive();
        assertThat(b.tryTake(6 * SECOND)).isZero();
    }

    @Test
    void fractionalRatesWork() {
        TokenBucket b = new TokenBucket(0.5, 1, 0);
        assertThat(b.tryTake(0)).isZero();
        assertThat(b.tryTake(0)).isEqualTo(2 * SECOND);
        assertThat(b.tryTake(2 * SECOND)).isZero();
    }

    @Test
    void retryAfterRoundsUpToWholeSecondsOfAtLeastOne() {
        assertThat(TokenBucket.retryAfterSeconds(1)).isEqualTo(1);
        assertThat(TokenBucket.retryAfterSeconds(SECOND)).isEqualTo(1);
        assertThat(TokenBucket.retryAfterSeconds(SECOND + 1)).isEqualTo(2);
        assertThat(TokenBucket.retryAfterSeconds(0)).isEqualTo(1);
    }

    @Test
    void badParametersAreRefused() {
        assertThatThrownBy(() -> new TokenBucket(0, 1, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TokenBucket(-1, 1, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TokenBucket(Double.NaN, 1, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TokenBucket(1, 0.5, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TokenBucket(1, Double.POSITIVE_INFINITY, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * Property, over many random rates, capacities and request times: in every window of the run,
     * admissions never exceed {@code capacity + rate * window}; every refusal's wait is honest (a
     * request at that time succeeds, when nothing else took the token).
     */
    @Test
    void admissionsNeverExceedTheBurstPlusTheRateInAnyWindow() {
        SplittableRandom random = new SplittableRandom(20240615);
        for (int run = 0; run < 120; run++) {
            double rate = 0.5 + random.nextDouble() * 400;
            double capacity = 1 + random.nextInt(50);
            long start = random.nextLong(0, SECOND * 1000);
            TokenBucket b = new TokenBucket(rate, capacity, start);
            List<Long> admitted = new ArrayList<>();
            long now = start;
            long end = start + (long) (SECOND * (0.5 + random.nextDouble() * 5));
            while (now < end) {
                long wait = b.tryTake(now);
                if (wait == 0) {
                    admitted.add(now);
                } else if (random.nextInt(40) == 0) {
                    assertThat(wait).isPositive();
                    // The promised time is honest: the token is there then.
                    TokenBucket probe = copyAt(rate, capacity, start, admitted);
                    assertThat(probe.tryTake(now + wait)).isZero();
                }
                // Requests arrive in bursts and pauses, sometimes right at the promised time.
                now += random.nextInt(4) == 0 ? Math.max(1, wait) : random.nextLong(0, SECOND / 50);
            }
            for (int i = 0; i < admitted.size(); i++) {
                for (int j = i; j < admitted.size(); j += 1 + admitted.size() / 64) {
                    double window = (admitted.get(j) - admitted.get(i)) / (double) SECOND;
                    long count = (long) j - i + 1;
                    assertThat((double) count)
                            .as("run %d: rate %.1f capacity %.0f", run, rate, capacity)
                            .isLessThanOrEqualTo(capacity + rate * window + 1e-6);
                }
            }
        }
    }

    @Test
    void aClientRetryingAtThePromisedTimesGetsTheFullRate() {
        for (double rate : new double[] {0.7, 3, 50, 1000}) {
            TokenBucket b = new TokenBucket(rate, 1, 0);
            long now = 0;
            int admitted = 0;
            long end = 20 * SECOND;
            while (now <= end) {
                long wait = b.tryTake(now);
                if (wait == 0) {
                    admitted++;
                } else {
                    now += wait;
                }
            }
            // One token at the start, then one per 1/rate seconds (ceil rounding loses at most
            // one).
            assertThat(admitted)
                    .as("rate %s", rate)
                    .isBetween((int) (rate * 20), (int) (rate * 20) + 1);
        }
    }

    /**
     * A bucket replaying the same admissions, to test a promise without disturbing the original.
     */
    private static TokenBucket copyAt(double rate, double capacity, long start, List<Long> taken) {
        TokenBucket b = new TokenBucket(rate, capacity, start);
        for (long t : taken) {
            assertThat(b.tryTake(t)).isZero();
        }
        return b;
    }
}
