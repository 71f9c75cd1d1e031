package dev.kiln.host.observability;

import java.time.Duration;
import java.util.Objects;

/**
 * How long function statistics and usage are kept, and how many log followers the host serves
 * (docs/adr/0043).
 *
 * @param statsRetention per-function per-minute statistics (histograms) older than this are deleted
 * @param usageRetention hourly usage rows older than this are deleted
 * @param maxLogFollowers {@code logs?follow=true} streams open at once, host-wide; one more is
 *     refused with {@code server_busy}
 * @param logHeartbeat how often an idle log stream gets a comment line, which also finds clients
 *     that went away
 */
public record ObservabilityLimits(
        Duration statsRetention,
        Duration usageRetention,
        int maxLogFollowers,
        Duration logHeartbeat) {
    public static final ObservabilityLimits DEFAULTS =
            new ObservabilityLimits(
                    Duration.ofDays(7), Duration.ofDays(400), 100, Duration.ofSeconds(15));

    public ObservabilityLimits {
        Objects.requireNonNull(statsRetention, "statsRetention");
        Objects.requireNonNull(usageRetention, "usageRetention");
        Objects.requireNonNull(logHeartbeat, "logHeartbeat");
        if (statsRetention.toMinutes() < 1) {
            throw new IllegalArgumentException("statsRetention must be at least a minute");
        }
        if (usageRetention.toHours() < 1) {
            throw new IllegalArgumentException("usageRetention must be at least an hour");
        }
        if (maxLogFollowers < 0) {
            throw new IllegalArgumentException(
                    "maxLogFollowers must not be negative, got " + maxLogFollowers);
        }
        if (logHeartbeat.toMillis() < 10) {
            throw new IllegalArgumentException("logHeartbeat must be at least 10 ms");
        }
    }
}
