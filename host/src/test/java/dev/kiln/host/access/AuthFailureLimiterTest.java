package dev.kiln.host.access;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class AuthFailureLimiterTest {
    final AtomicLong now = new AtomicLong(1_000_000_000L);
    final AuthFailureLimiter limiter =
            new AuthFailureLimiter(
                    new AccessLimits(4, Duration.ofSeconds(60), 10, 10, Duration.ofDays(1)),
                    now::get);

    @Test
    void theBudgetRefillsEvenlyOverTheWindowAndIsPerAddress() {
        for (int i = 0; i < 4; i++) {
            assertThat(limiter.retryAfterSeconds("10.0.0.1")).isZero();
            limiter.failed("10.0.0.1");
        }
        // Four failures per 60 s: one more every 15 s.
        assertThat(limiter.retryAfterSeconds("10.0.0.1")).isEqualTo(15);
        assertThat(limiter.retryAfterSeconds("10.0.0.2")).isZero();
        now.addAndGet(Duration.ofSeconds(10).toNanos());
        assertThat(limiter.retryAfterSeconds("10.0.0.1")).isEqualTo(5);
        now.addAndGet(Duration.ofSeconds(5).toNanos());
        assertThat(limiter.retryAfterSeconds("10.0.0.1")).isZero();
        limiter.failed("10.0.0.1");
        assertThat(limiter.retryAfterSeconds("10.0.0.1")).isEqualTo(15);
        // A long quiet spell refills to the full budget, never beyond it.
        now.addAndGet(Duration.ofHours(1).toNanos());
        for (int i = 0; i < 4; i++) {
            assertThat(limiter.retryAfterSeconds("10.0.0.1")).isZero();
            limiter.failed("10.0.0.1");
        }
        assertThat(limiter.retryAfterSeconds("10.0.0.1")).isPositive();
    }
}
