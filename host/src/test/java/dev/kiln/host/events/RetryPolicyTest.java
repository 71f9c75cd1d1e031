package dev.kiln.host.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {
    final RetryPolicy policy =
            new RetryPolicy(Duration.ofSeconds(1), Duration.ofSeconds(60), new Random(42));

    @Test
    void delaysDoubleWithJitterBetweenHalfAndFullAndStopAtTheCap() {
        for (int attempt = 1; attempt <= 12; attempt++) {
            long nominal = Math.min(60_000, 1_000L << (attempt - 1));
            Set<Long> seen = new HashSet<>();
            for (int i = 0; i < 200; i++) {
                long ms = policy.backoff(attempt).toMillis();
                assertThat(ms).isBetween(nominal / 2, nominal);
                seen.add(ms);
            }
            assertThat(seen).as("jitter spreads attempt %d", attempt).hasSizeGreaterThan(20);
        }
    }

    @Test
    void hugeAttemptNumbersDoNotOverflow() {
        assertThat(policy.backoff(Integer.MAX_VALUE).toMillis()).isBetween(30_000L, 60_000L);
    }

    @Test
    void outOfAttemptsOrPastTheMaximumAgeMeansNoNextAttempt() {
        Instant created = Instant.parse("2026-01-01T00:00:00Z");
        Instant now = created.plusSeconds(10);
        assertThat(policy.nextAttempt(3, 3, created, Duration.ofHours(1), now)).isNull();
        Instant next = policy.nextAttempt(1, 3, created, Duration.ofHours(1), now);
        assertThat(next).isBetween(now.plusMillis(500), now.plusMillis(1_000));
        // The second retry would come after the event's maximum age.
        assertThat(policy.nextAttempt(2, 3, created, Duration.ofSeconds(10), now)).isNull();
    }
}
