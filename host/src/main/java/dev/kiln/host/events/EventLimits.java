package dev.kiln.host.events;

import java.time.Duration;
import java.util.Objects;

/**
 * Host-wide limits and defaults of asynchronous invocation, topics and triggers. Per-function
 * settings ({@link AsyncConfig}) may choose values up to the caps here.
 *
 * @param maxEventBytes largest payload of an asynchronous invoke or a published event
 * @param maxQueuedEvents events a function may have queued (waiting, retrying or running); the
 *     default and the cap of its {@code maxQueuedEvents}
 * @param asyncWorkers asynchronous invocations running at once, host-wide; the rest of the worker
 *     pool stays free for synchronous traffic
 * @param defaultMaxAttempts attempts per event unless the function says otherwise
 * @param maxAttemptsCap the most attempts a function may ask for
 * @param defaultMaxEventAge how long an event may wait for a successful attempt, by default
 * @param maxEventAgeCap the longest {@code maxEventAgeSeconds} a function may ask for
 * @param retryBaseDelay delay before the second attempt; doubles per attempt (with jitter)
 * @param retryMaxDelay cap on the delay between two attempts
 * @param throttleDelay delay before an event that found its function at capacity is tried again
 *     (such a try does not count as an attempt)
 * @param maxTriggersPerFunction triggers one function may have
 * @param maxSubscribersPerTopic enabled subscriptions one topic may have (its fan-out)
 */
public record EventLimits(
        int maxEventBytes,
        int maxQueuedEvents,
        int asyncWorkers,
        int defaultMaxAttempts,
        int maxAttemptsCap,
        Duration defaultMaxEventAge,
        Duration maxEventAgeCap,
        Duration retryBaseDelay,
        Duration retryMaxDelay,
        Duration throttleDelay,
        int maxTriggersPerFunction,
        int maxSubscribersPerTopic) {

    /** Lambda's async defaults (3 attempts, 6 hours), a bounded queue, and modest fan-out. */
    public static final EventLimits DEFAULTS = builder().build();

    public EventLimits {
        Objects.requireNonNull(defaultMaxEventAge, "defaultMaxEventAge");
        Objects.requireNonNull(maxEventAgeCap, "maxEventAgeCap");
        Objects.requireNonNull(retryBaseDelay, "retryBaseDelay");
        Objects.requireNonNull(retryMaxDelay, "retryMaxDelay");
        Objects.requireNonNull(throttleDelay, "throttleDelay");
        positive(maxEventBytes, "maxEventBytes");
        positive(maxQueuedEvents, "maxQueuedEvents");
        positive(asyncWorkers, "asyncWorkers");
        positive(defaultMaxAttempts, "defaultMaxAttempts");
        positive(maxAttemptsCap, "maxAttemptsCap");
        positive(maxTriggersPerFunction, "maxTriggersPerFunction");
        positive(maxSubscribersPerTopic, "maxSubscribersPerTopic");
        if (defaultMaxAttempts > maxAttemptsCap) {
            throw new IllegalArgumentException("defaultMaxAttempts is above maxAttemptsCap");
        }
        if (defaultMaxEventAge.compareTo(maxEventAgeCap) > 0 || defaultMaxEventAge.isNegative()) {
            throw new IllegalArgumentException("defaultMaxEventAge must be 0..maxEventAgeCap");
        }
        if (defaultMaxEventAge.toSeconds() < 1) {
            throw new IllegalArgumentException("defaultMaxEventAge is at least one second");
        }
        if (retryBaseDelay.isNegative() || retryMaxDelay.compareTo(retryBaseDelay) < 0) {
            throw new IllegalArgumentException("need 0 <= retryBaseDelay <= retryMaxDelay");
        }
        if (throttleDelay.isNegative()) {
            throw new IllegalArgumentException("throttleDelay must not be negative");
        }
    }

    private static void positive(long v, String name) {
        if (v <= 0) {
            throw new IllegalArgumentException(name + " must be positive, got " + v);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Starts from this record's values. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.maxEventBytes = maxEventBytes;
        b.maxQueuedEvents = maxQueuedEvents;
        b.asyncWorkers = asyncWorkers;
        b.defaultMaxAttempts = defaultMaxAttempts;
        b.maxAttemptsCap = maxAttemptsCap;
        b.defaultMaxEventAge = defaultMaxEventAge;
        b.maxEventAgeCap = maxEventAgeCap;
        b.retryBaseDelay = retryBaseDelay;
        b.retryMaxDelay = retryMaxDelay;
        b.throttleDelay = throttleDelay;
        b.maxTriggersPerFunction = maxTriggersPerFunction;
        b.maxSubscribersPerTopic = maxSubscribersPerTopic;
        return b;
    }

    /** Builds {@link EventLimits}, starting from the defaults. */
    public static final class Builder {
        private int maxEventBytes = 256 * 1024;
        private int maxQueuedEvents = 10_000;
        private int asyncWorkers = Math.max(2, Runtime.getRuntime().availableProcessors());
        private int defaultMaxAttempts = 3;
        private int maxAttemptsCap = 100;
        private Duration defaultMaxEventAge = Duration.ofHours(6);
        private Duration maxEventAgeCap = Duration.ofHours(6);
        private Duration retryBaseDelay = Duration.ofSeconds(1);
        private Duration retryMaxDelay = Duration.ofMinutes(5);
        private Duration throttleDelay = Duration.ofMillis(200);
        private int maxTriggersPerFunction = 100;
        private int maxSubscribersPerTopic = 100;

        private Builder() {}

        public Builder maxEventBytes(int v) {
            maxEventBytes = v;
            return this;
        }

        public Builder maxQueuedEvents(int v) {
            maxQueuedEvents = v;
            return this;
        }

        public Builder asyncWorkers(int v) {
            asyncWorkers = v;
            return this;
        }

        public Builder defaultMaxAttempts(int v) {
            defaultMaxAttempts = v;
            return this;
        }

        public Builder maxAttemptsCap(int v) {
            maxAttemptsCap = v;
            return this;
        }

        public Builder defaultMaxEventAge(Duration v) {
            defaultMaxEventAge = v;
            return this;
        }

        public Builder maxEventAgeCap(Duration v) {
            maxEventAgeCap = v;
            return this;
        }

        public Builder retryBaseDelay(Duration v) {
            retryBaseDelay = v;
            return this;
        }

        public Builder retryMaxDelay(Duration v) {
            retryMaxDelay = v;
            return this;
        }

        public Builder throttleDelay(Duration v) {
            throttleDelay = v;
            return this;
        }

        public Builder maxTriggersPerFunction(int v) {
            maxTriggersPerFunction = v;
            return this;
        }

        public Builder maxSubscribersPerTopic(int v) {
            maxSubscribersPerTopic = v;
            return this;
        }

        public EventLimits build() {
            return new EventLimits(
                    maxEventBytes,
                    maxQueuedEvents,
                    asyncWorkers,
                    defaultMaxAttempts,
                    maxAttemptsCap,
                    defaultMaxEventAge,
                    maxEventAgeCap,
                    retryBaseDelay,
                    retryMaxDelay,
                    throttleDelay,
                    maxTriggersPerFunction,
                    maxSubscribersPerTopic);
        }
    }
}
