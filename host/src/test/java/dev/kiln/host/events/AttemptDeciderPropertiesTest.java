package dev.kiln.host.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/** The rules of {@link AttemptDecider} and {@link RetryPolicy}, over generated inputs. */
class AttemptDeciderPropertiesTest {
    static final Instant CREATED = Instant.parse("2026-01-01T00:00:00Z");
    static final long WEEK_MS = 7L * 24 * 3600 * 1000;

    /** The host's retry settings: base ≤ max, as EventLimits requires, plus a throttle delay. */
    record Settings(long baseMs, long maxMs, long throttleMs, long seed) {
        RetryPolicy policy() {
            return new RetryPolicy(
                    Duration.ofMillis(baseMs),
                    Duration.ofMillis(maxMs),
                    new SplittableRandom(seed));
        }

        AttemptDecider decider() {
            return new AttemptDecider(policy(), Duration.ofMillis(throttleMs));
        }
    }

    @Provide
    Arbitrary<Settings> settings() {
        Arbitrary<Long> base = Arbitraries.longs().between(0, 60_000);
        Arbitrary<Long> extra = Arbitraries.longs().between(0, 3_600_000);
        Arbitrary<Long> throttle = Arbitraries.longs().between(0, 10_000);
        return Combinators.combine(base, extra, throttle, Arbitraries.longs())
                .as((b, x, t, seed) -> new Settings(b, b + x, t, seed));
    }

    @Provide
    Arbitrary<AsyncConfig> configs() {
        return Combinators.combine(
                        Arbitraries.integers().between(1, 100),
                        Arbitraries.longs().between(1, Duration.ofDays(6).toSeconds()))
                .as(
                        (attempts, ageSeconds) ->
                                new AsyncConfig(
                                        attempts,
                                        ageSeconds,
                                        1000,
                                        new Destination.DeadLetterList(),
                                        null,
                                        null));
    }

    @Property
    void successIsAlwaysDone(
            @ForAll("settings") Settings s,
            @ForAll("configs") AsyncConfig config,
            @ForAll @IntRange(min = 1, max = 1000) int attempts,
            @ForAll @LongRange(min = 0, max = WEEK_MS) long ageMs) {
        assertThat(
                        s.decider()
                                .decide(
                                        AttemptOutcome.SUCCEEDED,
                                        attempts,
                                        CREATED,
                                        CREATED.plusMillis(ageMs),
                                        config))
                .isEqualTo(new AttemptDecision.Done());
    }

    @Property
    void aFailureIsRetriedOnlyWithinAttemptsAndAgeAndAfterTheBackoff(
            @ForAll("settings") Settings s,
            @ForAll("configs") AsyncConfig config,
            @ForAll @IntRange(min = 1, max = 1000) int attempts,
            @ForAll @LongRange(min = 0, max = WEEK_MS) long ageMs) {
        Instant now = CREATED.plusMillis(ageMs);
        Instant deadline = CREATED.plusSeconds(config.maxEventAgeSeconds());
        AttemptDecision d =
                s.decider().decide(AttemptOutcome.FAILED, attempts, CREATED, now, config);
        long nominal = s.policy().nominalBackoffMs(attempts);
        switch (d) {
            case AttemptDecision.Retry r -> {
                assertThat(attempts).isLessThan(config.maxAttempts());
                assertThat(r.at()).isBeforeOrEqualTo(deadline);
                assertThat(r.counted()).isTrue();
                assertThat(Duration.between(now, r.at()).toMillis())
                        .isBetween(nominal / 2, nominal);
            }
            case AttemptDecision.DeadLetter dl -> {
                assertThat(dl.attempts()).isEqualTo(attempts);
                if (attempts >= config.maxAttempts()) {
                    assertThat(dl.reason()).isEqualTo(DeadLetterReason.RETRIES_EXHAUSTED);
                } else {
                    assertThat(dl.reason()).isEqualTo(DeadLetterReason.EVENT_AGE_EXCEEDED);
                    // The latest retry time the jitter allows would have been too late.
                    assertThat(now.plusMillis(nominal)).isAfter(deadline);
                }
            }
            case AttemptDecision.Done done -> throw new AssertionError("a failure is never done");
        }
    }

    @Property
    void aFailureWithAttemptsAndTimeToSpareIsRetried(
            @ForAll("settings") Settings s,
            @ForAll("configs") AsyncConfig config,
            @ForAll @IntRange(min = 1, max = 1000) int attempts,
            @ForAll @LongRange(min = 0, max = WEEK_MS) long ageMs) {
        Instant now = CREATED.plusMillis(ageMs);
        long nominal = s.policy().nominalBackoffMs(attempts);
        boolean fits =
                attempts < config.maxAttempts()
                        && !now.plusMillis(nominal)
                                .isAfter(CREATED.plusSeconds(config.maxEventAgeSeconds()));
        AttemptDecision d =
                s.decider().decide(AttemptOutcome.FAILED, attempts, CREATED, now, config);
        if (fits) {
            assertThat(d).isInstanceOf(AttemptDecision.Retry.class);
        }
    }

    @Property
    void anAttemptThatNeverRanUsesNoAttemptAndWaitsTheThrottleDelay(
            @ForAll("settings") Settings s,
            @ForAll("configs") AsyncConfig config,
            @ForAll @IntRange(min = 1, max = 1000) int attempts,
            @ForAll @LongRange(min = 0, max = WEEK_MS) long ageMs,
            @ForAll boolean overloaded) {
        Instant now = CREATED.plusMillis(ageMs);
        boolean tooOld = now.isAfter(CREATED.plusSeconds(config.maxEventAgeSeconds()));
        AttemptDecision d =
                s.decider()
                        .decide(
                                overloaded ? AttemptOutcome.OVERLOADED : AttemptOutcome.REFUSED,
                                attempts,
                                CREATED,
                                now,
                                config);
        if (overloaded && tooOld) {
            assertThat(d)
                    .isEqualTo(
                            new AttemptDecision.DeadLetter(
                                    DeadLetterReason.EVENT_AGE_EXCEEDED, attempts - 1));
            return;
        }
        assertThat(d).isInstanceOf(AttemptDecision.Retry.class);
        AttemptDecision.Retry r = (AttemptDecision.Retry) d;
        assertThat(r.counted()).isFalse();
        assertThat(Duration.between(now, r.at()).toMillis())
                .isBetween(s.throttleMs() / 2, s.throttleMs());
    }

    @Property
    void anEventPastItsMaximumAgeNeverStartsAndNoYoungerOneIsStopped(
            @ForAll("settings") Settings s,
            @ForAll("configs") AsyncConfig config,
            @ForAll @IntRange(min = 1, max = 1000) int attempts,
            @ForAll @LongRange(min = 0, max = WEEK_MS) long ageMs) {
        Instant now = CREATED.plusMillis(ageMs);
        boolean tooOld = ageMs > config.maxEventAgeSeconds() * 1000;
        var d = s.decider().beforeStart(attempts, CREATED, now, config);
        if (tooOld) {
            // The lease counted an attempt that never ran.
            assertThat(d)
                    .contains(
                            new AttemptDecision.DeadLetter(
                                    DeadLetterReason.EVENT_AGE_EXCEEDED, attempts - 1));
        } else {
            assertThat(d).isEmpty();
        }
    }

    @Property
    void nominalBackoffStartsAtTheBaseNeverDecreasesAndStaysUnderTheCap(
            @ForAll("settings") Settings s, @ForAll @IntRange(min = 1) int attempt) {
        RetryPolicy p = s.policy();
        long here = p.nominalBackoffMs(attempt);
        assertThat(p.nominalBackoffMs(1)).isEqualTo(s.baseMs());
        assertThat(here).isBetween(s.baseMs(), s.maxMs());
        if (attempt < Integer.MAX_VALUE) {
            assertThat(p.nominalBackoffMs(attempt + 1)).isGreaterThanOrEqualTo(here);
        }
        // Doubling until the cap.
        if (attempt <= 30 && s.baseMs() * (1L << (attempt - 1)) <= s.maxMs()) {
            assertThat(here).isEqualTo(s.baseMs() << (attempt - 1));
        }
    }

    @Property
    void jitteredBackoffStaysBetweenHalfAndAllOfTheNominalDelay(
            @ForAll("settings") Settings s, @ForAll @IntRange(min = 1) int attempt) {
        RetryPolicy p = s.policy();
        long nominal = p.nominalBackoffMs(attempt);
        for (int i = 0; i < 20; i++) {
            assertThat(p.backoff(attempt).toMillis()).isBetween(nominal / 2, nominal);
        }
    }
}
